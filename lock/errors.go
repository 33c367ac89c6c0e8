package lock

import "errors"

// Outcomes a caller branches on; cmd/zoo-locked maps each to an exit code.
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
	// ErrUsage: a setting cannot work (bad name, a grace period too long
	// for the session timeout the server granted).
	ErrUsage = errors.New("usage")
)
