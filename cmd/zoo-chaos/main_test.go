package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// capture runs the command in-process and returns its exit code and what
// it wrote to stdout and stderr.
func capture(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	saved := [2]*os.File{os.Stdout, os.Stderr}
	os.Stdout, os.Stderr = outW, errW
	outC, errC := make(chan string), make(chan string)
	go func() { b, _ := io.ReadAll(outR); outC <- string(b) }()
	go func() { b, _ := io.ReadAll(errR); errC <- string(b) }()
	code = run(args)
	os.Stdout, os.Stderr = saved[0], saved[1]
	outW.Close()
	errW.Close()
	return code, <-outC, <-errC
}

func TestCommandHelpListsEveryFlag(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"run": {"--seed", "--nodes", "--duration", "--report", "--backend"},
		"up":  {"--backend", "--nodes", "--ready-file"},
	} {
		code, out, errOut := capture(t, cmd, "--help")
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: zoo-chaos "+cmd) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
		for _, f := range flags {
			if !strings.Contains(out, f) {
				t.Errorf("%s --help does not show %s:\n%s", cmd, f, out)
			}
		}
	}
}

func TestBadArgumentsExit64WithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--bogus", "baseline"},
		{"up", "--nodes", "x"},
		{"run"},
		{"run", "no-such-scenario"},
		{"bogus"},
	} {
		code, out, errOut := capture(t, args...)
		if code != 64 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "zoo-chaos") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 64 and one line on stderr", args, code, out, errOut)
		}
	}
}
