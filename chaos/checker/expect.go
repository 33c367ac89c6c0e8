package checker

// Expect says which verdicts the scenario must pass besides the ones every
// scenario must (S2, S3, S4, L1, progress, nothing stuck).
type Expect struct {
	// S1MayFail: a paused holder is the one fault no lock service can
	// survive with exclusion intact (docs/DESIGN.md, S1); S2 must still hold.
	S1MayFail bool
	// S1MustFail: the scenario is run with the fence disabled to prove the
	// checker sees overlaps.
	S1MustFail bool
	// RideThrough: no job may be fenced (L3).
	RideThrough bool
	// Limit is how many jobs may run at once (S1); 0 means 1.
	Limit int
	// Runs, when Max > 0, bounds how many jobs may start in the run: a
	// --once-per workload within one slot.
	Runs struct{ Min, Max int }
	// SlotsMustFail: the scenario runs with the clock bound switched off
	// to show the slot verdict catching the extra runs.
	SlotsMustFail bool
}
