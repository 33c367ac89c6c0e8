package fleet

import (
	"fmt"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"
)

// lockDelay is how long a holder waits before starting its job when its
// predecessor left without a word: its run never completed its ledger
// entry, so it crashed, was cut off, or had its session ended from outside
// (consul calls the wait lock-delay). Only the last can free the lock
// while the predecessor's job still runs: its wrapper kills the job as
// soon as it hears, which took 0 to 12 ms in the harness and 78 ms by
// hand. A crash is also word-less (its keeper ends the session without
// writing), and pays the delay within its 1 s takeover bound; a cut-off
// holder's job is dead well before its session expires, so the delay only
// adds to that takeover, within T + tick + 1 s.
const lockDelay = 300 * time.Millisecond

// awaitLockDelay waits out lockDelay, or returns the session's loss.
func awaitLockDelay(cfg Config, s *lock.Session) error {
	cfg.Logger.Info("the previous holder left without a word; waiting before the job", "lock", cfg.Name, "lock_delay", lockDelay)
	select {
	case <-time.After(lockDelay):
		return nil
	case <-s.Done():
		return fmt.Errorf("waiting out the lock-delay: %w", s.Err())
	}
}
