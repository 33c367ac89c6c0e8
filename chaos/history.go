package chaos

import "time"

// History is everything recorded during a trial; verdicts come from it
// alone, after the trial (Check).
type History struct {
	Scenario       string        `json:"scenario"`
	Seed           int64         `json:"seed"`
	Backend        string        `json:"backend"`
	Nodes          []string      `json:"nodes"`
	Duration       time.Duration `json:"duration_ns"`
	SessionTimeout time.Duration `json:"session_timeout_ns"`
	// TickTime is the servers' tick: ZooKeeper expires sessions on tick
	// boundaries, so a takeover may take T plus one tick.
	TickTime  time.Duration `json:"tick_time_ns,omitempty"`
	KillGrace time.Duration `json:"kill_grace_ns"`
	// Command is the user's job, when the trial ran one instead of the
	// built-in job.
	Command []string `json:"command,omitempty"`
	// Wrapper is the --wrapper template the nodes fired instead of
	// zoo-locked, if any: the verdicts that rest on zoo-locked's own exit
	// codes do not apply to it.
	Wrapper string `json:"wrapper,omitempty"`
	// OncePer says the wrappers ran with --once-per: a firing whose slot
	// already ran exits 0 without a job.
	OncePer bool `json:"once_per,omitempty"`
	// SlotPeriod is the --once-per period (slots aligned to the epoch),
	// Epoch the trial's start on the true clock, and SlotLedger the runs
	// the lock's ledger recorded, each with the slot it claimed; the slot
	// verdict judges them on true time. LedgerError says why it is missing.
	SlotPeriod  time.Duration `json:"slot_period_ns,omitempty"`
	Epoch       time.Time     `json:"epoch"`
	SlotLedger  []LedgerRun   `json:"slot_ledger,omitempty"`
	LedgerError string        `json:"ledger_error,omitempty"`
	// Plan is the fault schedule as executed, replayable with --plan.
	Plan       Plan           `json:"plan"`
	Intervals  []Interval     `json:"intervals"`
	Faults     []FaultWindow  `json:"faults"`
	Leaders    []LeaderChange `json:"leaders"`
	Firings    []Firing       `json:"firings"`
	Orphans    []int          `json:"orphans"`
	LeftZnodes []string       `json:"left_znodes"`
	// WrapperLog is what the wrappers wrote to stderr, each line stamped.
	WrapperLog string `json:"-"`
}

// Firing is one zoo-locked process of the workload: one cron firing on
// one node, from start to exit.
type Firing struct {
	Node  string        `json:"node"`
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
	Exit  int           `json:"exit"`
	// Wrapper is what fired: "zoo-locked", "zoo-locked HOSTS PATH" (the
	// classic form), or a foreign recipe (RecipeC, RecipeCurator).
	Wrapper string `json:"wrapper,omitempty"`
}

// LeaderChange records who led from At on (0: nobody).
type LeaderChange struct {
	At     time.Duration `json:"at_ns"`
	Leader int           `json:"leader"`
}

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

// LeaderEnd is when the i-th leader change was followed by the next, or
// last for the final one.
func (h *History) LeaderEnd(i int, last time.Duration) time.Duration {
	if i+1 < len(h.Leaders) {
		return h.Leaders[i+1].At
	}
	return last
}

// EffectFrom is the earliest the fault may have been in effect.
func (f FaultWindow) EffectFrom() time.Duration {
	if f.InjectionBegan > 0 && f.InjectionBegan < f.InEffect {
		return f.InjectionBegan
	}
	return f.InEffect
}
