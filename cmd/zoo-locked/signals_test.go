package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestSignalForwarded(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "got-term")
	job := "trap 'echo term > " + marker + "; exit 7' TERM; while true; do sleep 0.05; done"
	w := startWrapper(t, "signals", nil, "signals", "--", "sh", "-c", job)
	c := zkClient(t)
	eventually(t, 10*time.Second, "acquired", func() bool { return len(contenders(t, c, "signals")) == 1 })
	time.Sleep(200 * time.Millisecond) // let sh install its trap; no event to wait on
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := w.wait(t, 10*time.Second); code != 7 {
		t.Fatalf("exit %d, want the job's 7; stderr:\n%s", code, w.stderr)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("job never saw SIGTERM: %v", err)
	}
	assertNoContenders(t, "signals")
}

// TestSignalAtGrantStopsTheJob: a SIGTERM that lands at the grant, while
// the wait for the lock still listens for signals, must not vanish: the
// job never starts (or is stopped) and the wrapper exits 128+15.
func TestSignalAtGrantStopsTheJob(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "job-ran")
	w := startWrapper(t, "grant-signal", nil, "--unsafe-test-signal-at-grant", "grant-signal", "--", "sh", "-c", "touch "+marker+"; sleep 3")
	if code := w.wait(t, 10*time.Second); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("a SIGTERM at the grant was lost: exit %d, want %d (the job ran to its end); stderr:\n%s", code, 128+int(syscall.SIGTERM), w.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the job started although the wrapper was told to stop before it did")
	}
	assertNoContenders(t, "grant-signal")
}
