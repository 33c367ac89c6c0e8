package chaos

import (
	"math/rand/v2"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// Scenario is one entry of the catalogue: an ensemble, a workload of
// simulated cron nodes, a fault schedule, and the verdicts expected.
type Scenario struct {
	Name string
	Doc  string
	// Workload.
	Nodes      int
	Duration   time.Duration // how long nodes keep firing the job
	JobLength  time.Duration
	Grandchild bool // the job leaves a grandchild that ignores TERM and HUP
	// Wrapper settings; the test ensemble grants sessions up to 4 s.
	SessionTimeout time.Duration
	KillGrace      time.Duration
	// TickTime is the servers' (default: FastTiming's); see Timing.
	TickTime time.Duration
	// WaitTimeout bounds each wrapper's wait for the lock (default 30 s).
	WaitTimeout time.Duration
	WrapperArgs []string // extra zoo-locked flags
	// Limit > 1 runs the wrappers with --limit; S1 then allows that many.
	Limit int
	// OncePer > 0 runs the wrappers with --once-per (one slot for the run).
	OncePer time.Duration
	// Foreign puts other recipes' wrappers on the lock path: node i runs
	// Foreign[i] (RecipeC, RecipeCurator) where it is not "", the other
	// nodes zoo-locked.
	Foreign []string
	// Migrate moves the foreign nodes onto zoo-locked one by one while the
	// fleet fires, evenly over the run: each then fires zoo-locked's
	// classic form, HOSTS PATH 'COMMAND', the line it had before.
	Migrate bool
	// Faults builds the schedule; rng is seeded from the run's seed, so one
	// seed always gives one schedule.
	Faults func(rng *rand.Rand, duration time.Duration) []faults.Step
	Expect checker.Expect
}

// WithDefaults fills in what the scenario leaves unsaid (3 nodes, 15 s,
// a 1 s job, a 3 s session, a 0.5 s kill grace).
func (s Scenario) WithDefaults() Scenario {
	if s.Nodes == 0 {
		s.Nodes = 3
	}
	if s.Duration == 0 {
		s.Duration = 15 * time.Second
	}
	if s.JobLength == 0 {
		s.JobLength = time.Second
	}
	if s.SessionTimeout == 0 {
		s.SessionTimeout = 3 * time.Second
	}
	if s.KillGrace == 0 {
		s.KillGrace = 500 * time.Millisecond
	}
	if s.TickTime == 0 {
		s.TickTime = FastTiming.TickTime
	}
	if s.WaitTimeout == 0 {
		s.WaitTimeout = 30 * time.Second
	}
	return s
}

// WithTiming runs the scenario under t: its servers' tick, its wrappers'
// session timeout and kill grace.
func (s Scenario) WithTiming(t Timing) Scenario {
	s.TickTime, s.SessionTimeout, s.KillGrace = t.TickTime, t.SessionTimeout, t.KillGrace
	return s
}

// Schedule is the fault schedule the scenario draws for seed.
func (s Scenario) Schedule(seed int64, duration time.Duration) []faults.Step {
	if s.Faults == nil {
		return nil
	}
	return s.Faults(rand.New(rand.NewPCG(uint64(seed), 0x5eed)), duration)
}
