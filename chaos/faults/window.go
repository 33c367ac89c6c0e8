package faults

import "time"

// FaultWindow is a fault as it happened, for the checker and the report.
type FaultWindow struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target"` // node or server it hit
	// InjectionBegan is when injection began, InEffect when it was done: a
	// fault may act in between (stopping two servers takes a second), and
	// one that waits for its target (the holder) takes effect at InEffect.
	// End is when it healed (0: still open when the trial ended).
	InjectionBegan time.Duration `json:"began_ns"`
	InEffect       time.Duration `json:"start_ns"`
	End            time.Duration `json:"end_ns"`
	Error          string        `json:"error,omitempty"`
	// Spec and Planned are the step as planned, for the executed plan.
	Spec    FaultSpec     `json:"spec"`
	Planned time.Duration `json:"planned_ns"`
	// HolderLoss marks faults that took the lock holder away; the checker
	// measures the takeover after each (L1).
	HolderLoss bool `json:"holder_loss"`
}

// EffectUntil is when the fault healed, or last for one still open when the
// trial ended.
func (f FaultWindow) EffectUntil(last time.Duration) time.Duration {
	if f.End == 0 {
		return last
	}
	return f.End
}

// EffectFrom is the earliest the fault may have been in effect.
func (f FaultWindow) EffectFrom() time.Duration {
	if f.InjectionBegan > 0 && f.InjectionBegan < f.InEffect {
		return f.InjectionBegan
	}
	return f.InEffect
}
