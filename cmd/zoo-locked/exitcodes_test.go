package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

func TestExitCodes(t *testing.T) {
	chaostest.SharedEnsemble(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	holder := startWrapper(t, "codes-holder", nil, "codes-busy", "--", "sleep", "30")
	c := zkClient(t)
	eventually(t, 10*time.Second, "holder acquired", func() bool { return len(contenders(t, c, "codes-busy")) == 1 })
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"child exit status", []string{"codes", "--", "sh", "-c", "exit 3"}, 3},
		{"child success without --", []string{"codes", "true"}, 0},
		{"child killed by signal", []string{"codes", "--", "sh", "-c", "kill -9 $$"}, 128 + 9},
		{"shell opt-in", []string{"--shell", "codes", "--", "exit 4"}, 4},
		{"command not found", []string{"codes", "--", "no-such-command-zl"}, 127},
		{"command not executable", []string{"codes", "--", notExec}, 126},
		{"unknown flag", []string{"--bogus", "codes", "--", "true"}, 64},
		{"missing command", []string{"codes"}, 64},
		{"bad name", []string{"a/b", "--", "true"}, 64},
		{"dot-dot name", []string{"..", "--", "true"}, 64},
		{"zero duration", []string{"--kill-grace", "0s", "codes", "--", "true"}, 64},
		{"busy with --no-wait", []string{"--no-wait", "codes-busy", "--", "true"}, 75},
		{"busy with own exit code", []string{"--no-wait", "--busy-exit-code", "0", "codes-busy", "--", "true"}, 0},
		{"wait timeout", []string{"--wait-timeout", "500ms", "codes-busy", "--", "true"}, 75},
		{"max runtime stops the job", []string{"--max-runtime", "300ms", "codes", "--", "sleep", "30"}, 128 + 15},
		{"version", []string{"--version"}, 0},
		{"help", []string{"--help"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := startWrapper(t, "codes", nil, tc.args...)
			if code := w.wait(t, 20*time.Second); code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, w.stderr)
			}
		})
	}
	t.Run("unreachable ensemble", func(t *testing.T) {
		start := time.Now()
		code := runBinary(t, "--zk", "127.0.0.1:1", "--connect-timeout", "1s", "codes", "--", "true")
		if code != 69 {
			t.Fatalf("exit %d, want 69", code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("unreachable ensemble took %v to report", d)
		}
	})
	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	holder.wait(t, 10*time.Second)
	assertNoContenders(t, "codes")
	assertNoContenders(t, "codes-busy")
}
