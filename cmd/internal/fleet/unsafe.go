package fleet

import (
	"syscall"
	"time"
)

// Unsafe are the wrapper's own test seams, beside the library's
// (lock.Hooks): zoo-locked's hidden --unsafe-* flags set them so that the
// harness can show what its checker catches when a guarantee is broken on
// purpose. The zero value, as in production, is the real behaviour.
type Unsafe struct {
	// SignalAtGrant, when set, is sent by the wrapper to itself right
	// after the grant, where the wait for the lock still listens for
	// signals, and the wait takes it before going on.
	SignalAtGrant syscall.Signal
	// TrustEnsembleClock turns the clock bound off: a firing trusts the
	// ensemble's clock however far it is from its own, and only a record
	// for its very slot makes it skip (the behaviour before the bound),
	// so that a clock fault runs a job twice.
	TrustEnsembleClock bool
}

// now is this host's wall clock as the wrapper reads it (a test may skew
// it: lock.Hooks.ClockSkew).
func (c Config) now() time.Time { return c.Session.Hooks.Now() }
