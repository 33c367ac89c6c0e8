package checker

import (
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

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
	Plan       faults.Plan          `json:"plan"`
	Intervals  []Interval           `json:"intervals"`
	Faults     []faults.FaultWindow `json:"faults"`
	Leaders    []LeaderChange       `json:"leaders"`
	Firings    []Firing             `json:"firings"`
	Orphans    []int                `json:"orphans"`
	LeftZnodes []string             `json:"left_znodes"`
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

// LeaderEnd is when the i-th leader change was followed by the next, or
// last for the final one.
func (h *History) LeaderEnd(i int, last time.Duration) time.Duration {
	if i+1 < len(h.Leaders) {
		return h.Leaders[i+1].At
	}
	return last
}

// Interval is one job's life as the witness saw it: from the job's first
// message to the moment its connection dropped (a killed job's socket
// closes at once), on the witness's one monotonic clock.
type Interval struct {
	Node  string        `json:"node"`
	Token int64         `json:"token"`
	Pid   int           `json:"pid"`
	Start time.Duration `json:"start_ns"` // since the run began
	End   time.Duration `json:"end_ns"`
	// Writes the job made and how many the fenced resource refused.
	Writes   int `json:"writes"`
	Rejected int `json:"rejected"`
	// StaleAccepted counts writes accepted from a job whose token another
	// job presented first: a resource that fences with >= cannot refuse a
	// reused token, so the witness records it for the checker (S2).
	StaleAccepted int `json:"stale_accepted"`
	// A user's job, through the shim, also says when it was told to stop
	// (SIGTERM) and how it exited; no exit after a TERM means SIGKILL.
	TermAt time.Duration `json:"term_ns,omitempty"`
	Exit   *int          `json:"exit,omitempty"`
}

// LedgerRun is a run as the lock's ledger records it, read by the
// harness in the ledger's documented JSON form.
type LedgerRun struct {
	Token     int64      `json:"token"`
	Host      string     `json:"host"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"`
	Exit      *int       `json:"exit,omitempty"`
	Ending    string     `json:"ending,omitempty"`
	SlotStart *time.Time `json:"slot_start,omitempty"`
}

// Succeeded says the run's job ended by itself with status 0.
func (r LedgerRun) Succeeded() bool {
	return r.End != nil && r.Ending == "exited" && r.Exit != nil && *r.Exit == 0
}

// Foreign recipes: the locks a fleet runs before it moves onto zoo-locked,
// spoken from their znode protocols (names and ordering), so that the
// harness can put them on one lock path with zoo-locked and judge the
// mix. They run the job and release, and fence nothing, as the tools they
// stand for do.
const (
	// RecipeC is ZooKeeper's C lock recipe, which the replaced C tool
	// uses: contenders x-<session, 16 hex>-<seq>, ordered by the text
	// after each child's last '-', the holder first; it tries once.
	RecipeC = "c"
	// RecipeCurator is Curator's InterProcessMutex, protected:
	// _c_<UUID>-lock-<seq>, ordered by the text after the last "lock-";
	// it waits, watching the one ahead.
	RecipeCurator = "curator"
)

// Wrappers a node may fire.
const (
	WrapperZooLocked = "zoo-locked"
	WrapperClassic   = "zoo-locked HOSTS PATH"
	WrapperTemplate  = "--wrapper"
)
