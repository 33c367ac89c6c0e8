package lock

import "time"

// Hooks are seams for tests and for the harness's unsafe scenarios, which
// break a guarantee on purpose to show that the checker catches it. A nil
// *Hooks, as in production, is the library's real behaviour.
type Hooks struct {
	// Step, when set, is called before each try of a named request (as
	// Session.Retry names it), to act at that exact request on a real
	// ensemble.
	Step func(step string)
	// NoFence turns the fence deadline off, leaving only expiry as the
	// signal to stop the work (the replaced tool's behaviour): S1 breaks
	// under partitions.
	NoFence bool
	// ClockSkew puts this process's wall clock off by that much, to show
	// that slots follow the ensemble's clock whatever a node's says.
	ClockSkew time.Duration
}

// Now is this host's wall clock, as the library and the wrapper read it.
func (h *Hooks) Now() time.Time {
	if h == nil {
		return time.Now()
	}
	return time.Now().Add(h.ClockSkew)
}

func (h *Hooks) step(what string) {
	if h != nil && h.Step != nil {
		h.Step(what)
	}
}

func (h *Hooks) fenceOff() bool { return h != nil && h.NoFence }
