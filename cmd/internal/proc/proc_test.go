package proc_test

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
)

// TestAlive: a running process is alive; one that exited is not, neither
// while it is a zombie (not yet waited for) nor once reaped.
func TestAlive(t *testing.T) {
	if !proc.Alive(os.Getpid()) {
		t.Fatal("this test process is not alive")
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	pid := child.Process.Pid
	if !proc.Alive(pid) {
		t.Fatal("a sleeping child is not alive")
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Wait without reaping, so the child stays a zombie.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if proc.Alive(pid) {
		t.Fatal("a zombie counts as alive")
	}
	_ = child.Wait() // killed: the error is the signal
	if proc.Alive(pid) {
		t.Fatal("a reaped child counts as alive")
	}
}
