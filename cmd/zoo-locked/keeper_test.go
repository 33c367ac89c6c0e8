package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
)

// parentOfJob is the job that prints its parent's command name: the
// keeper's (the kernel keeps 15 characters of it).
const parentOfJob = "cat /proc/$PPID/comm"

// TestTheJobRunsUnderTheSmallKeeper: with zoo-locked-keeper beside
// zoo-locked, as `make build` and the package install them, each run's
// keeper is that small program, not a second start of the wrapper.
func TestTheJobRunsUnderTheSmallKeeper(t *testing.T) {
	w := startWrapper(t, "node1", nil, "small-keeper", "--", "sh", "-c", parentOfJob)
	if code := w.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, w.stderr)
	}
	if got := strings.TrimSpace(w.stdout.String()); got != "zoo-locked-keep" {
		t.Fatalf("the job's parent is %q, want zoo-locked-keeper", got)
	}
}

// TestZooLockedAloneIsItsOwnKeeper: a zoo-locked copied without its
// keeper (go install, a binary copied by hand) runs the job under a
// second start of itself, with the same guarantee: SIGKILLed while the
// job runs, it takes the job's tree with it (S3).
func TestZooLockedAloneIsItsOwnKeeper(t *testing.T) {
	alone := filepath.Join(t.TempDir(), "zoo-locked")
	b, err := os.ReadFile(zooLocked(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}

	w := startWrapperAs(t, alone, "alone-keeper", nil, "alone-keeper", "--", "sh", "-c", parentOfJob)
	if code := w.wait(t, 20*time.Second); code != 0 || strings.TrimSpace(w.stdout.String()) != "zoo-locked" {
		t.Fatalf("the job's parent: %q (exit %d), want zoo-locked itself; stderr:\n%s", w.stdout, code, w.stderr)
	}

	pidFile := filepath.Join(t.TempDir(), "job")
	w = startWrapperAs(t, alone, "alone-keeper", nil, "alone-keeper", "--", "sh", "-c",
		`echo $$ > `+pidFile+`.tmp; mv `+pidFile+`.tmp `+pidFile+`; trap "" TERM HUP; while :; do sleep 0.05; done`)
	job := awaitPid(t, pidFile, "job started")
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	w.wait(t, 10*time.Second) // killed: the status is SIGKILL's
	eventually(t, time.Second, "S3: the job dead after its wrapper's SIGKILL", func() bool { return !proc.Alive(job) })
}
