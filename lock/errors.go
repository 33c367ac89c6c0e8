package lock

import (
	"errors"
	"fmt"
	"time"
)

// Outcomes a caller branches on; cmd/zoo-locked maps each to an exit code
// (docs/DESIGN.md, "Exit codes"). Nothing in this package decides a code.
var (
	// ErrUnavailable: no ZooKeeper server gave a session within the
	// connect timeout.
	ErrUnavailable = errors.New("zookeeper unavailable")
	// ErrBusy: the lock is held and the caller asked not to wait, or the
	// wait timed out.
	ErrBusy = errors.New("lock busy")
	// ErrLockLost: the session expired, the lock znode vanished, or the
	// fence deadline passed while the child ran; the child was killed.
	ErrLockLost = errors.New("lock lost")
	// ErrLockGone is the kind of ErrLockLost where the lock is already
	// free for others to take (the session expired, our znode vanished):
	// the child gets SIGKILL at once, without a grace period.
	// errors.Is(err, ErrLockLost) holds for it too.
	ErrLockGone error = goneError{}
	// ErrUsage: a setting cannot work (bad name, a grace period too long
	// for the session timeout the server granted).
	ErrUsage = errors.New("usage")
	// ErrOldServer: the ensemble does not implement a request the lock
	// makes. 3.4's lack of container znodes is not one: its parents are
	// made persistent instead.
	ErrOldServer = errors.New("zookeeper server too old: it does not implement a request the lock makes; zoo-locked needs ZooKeeper 3.4 or later")
)

type goneError struct{}

func (goneError) Error() string        { return "lock lost" }
func (goneError) Is(target error) bool { return target == ErrLockLost }

// HeldError: the lock is held and the caller asked not to wait. It wraps
// ErrBusy and names the contender that holds it, whichever recipe wrote it.
type HeldError struct{ Holder string }

func (e *HeldError) Error() string { return "lock busy: held by " + e.Holder }
func (e *HeldError) Unwrap() error { return ErrBusy }

// GraceTooLongError: the ensemble granted a session too short to fence
// with the kill grace asked for. It wraps ErrUsage.
type GraceTooLongError struct {
	Granted, KillGrace time.Duration
}

func (e *GraceTooLongError) Error() string {
	return fmt.Sprintf("the ensemble granted a %v session, too short for a %v kill grace", e.Granted, e.KillGrace)
}

func (e *GraceTooLongError) Unwrap() error { return ErrUsage }

// UsageError is a setting that cannot work. It matches ErrUsage; its text
// is the problem alone, for a caller to put after the flag it came from.
type UsageError struct{ Problem string }

func (e *UsageError) Error() string { return e.Problem }

// Is makes errors.Is(err, ErrUsage) hold.
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

// UsageErrorf is a UsageError of a formatted problem.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...)}
}
