// Package exitcode is zoo-locked's exit-code table (docs/DESIGN.md, "Exit
// codes"), in a package of its own under lock so that the chaos harness reads the same
// numbers the command exits with. The job's own status passes through.
package exitcode

import (
	"os"
	"syscall"
)

const (
	// Usage: bad flags or arguments (sysexits EX_USAGE).
	Usage = 64
	// Unavailable: no ZooKeeper session within the connect timeout
	// (EX_UNAVAILABLE).
	Unavailable = 69
	// Internal: the wrapper itself failed (EX_SOFTWARE).
	Internal = 70
	// Busy: the lock is held (--no-wait) or the wait timed out
	// (EX_TEMPFAIL); --busy-exit-code overrides it.
	Busy = 75
	// NoPermission: the lock's ACL refuses this identity (EX_NOPERM).
	NoPermission = 77
	// LockLost: the lock was lost while the job ran and the job was
	// killed (fenced); just outside sysexits, so monitoring can tell it.
	LockLost = 79
	// Stopped: `zoo-locked stop` stopped the job; beside LockLost, so
	// that an operator's stop never reads as the job's own failure.
	Stopped = 80
	// ClockRefused: this host's clock and the ensemble's disagree beyond
	// the bound, and the firing (--once-per, or under a timed pause)
	// needed time to decide: it ran nothing.
	ClockRefused = 81
	// CannotExec and NotFound: the command is not executable / not found,
	// as a shell says.
	CannotExec = 126
	NotFound   = 127
	// Signal is added to a signal's number: killed by signal n exits 128+n.
	Signal = 128
)

// Of is the status a shell would report for a process that has exited:
// its exit code, or Signal+n when signal n killed it.
func Of(state *os.ProcessState) int {
	return OfWait(state.Sys().(syscall.WaitStatus))
}

// OfWait is Of for a status read with wait4.
func OfWait(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return Signal + int(ws.Signal())
	}
	return ws.ExitStatus()
}
