// Package seam holds the lock packages' test seams, in one place and out
// of every config: their own tests set Step, and zoo-locked's hidden
// --unsafe-* flags set the rest (and Now reads ClockSkew), so that the chaos harness can show what
// its checker catches when a guarantee is broken on purpose. Nothing else
// sets them; each is off by default.
package seam

import (
	"syscall"
	"time"
)

var (
	// Step, when set, is called before each try of a named request (named
	// as Session.Retry names it), to act at that exact request on a real
	// ensemble.
	Step func(step string)
	// NoFence turns the fence deadline off, leaving only expiry as the
	// signal to kill the job (the replaced tool's behaviour): S1 breaks
	// under partitions.
	NoFence bool
	// SignalAtGrant, when set, is sent by the wrapper to itself right
	// after the grant, where the wait for the lock still listens for
	// signals, and the wait takes it before going on.
	SignalAtGrant syscall.Signal
	// ClockSkew puts this process's wall clock off by that much, to show
	// that slots follow the ensemble's clock whatever a node's says.
	ClockSkew time.Duration
	// TrustEnsembleClock turns the clock bound off: a firing trusts the
	// ensemble's clock however far it is from its own, and only a record
	// for its very slot makes it skip (the behaviour before the bound),
	// so that a clock fault runs a job twice.
	TrustEnsembleClock bool
)

// Now is this host's wall clock, as the lock packages read it.
func Now() time.Time { return time.Now().Add(ClockSkew) }
