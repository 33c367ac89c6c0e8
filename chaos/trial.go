package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/fencerule"
)

// TrialConfig says how to run a scenario.
type TrialConfig struct {
	Seed     int64
	Nodes    int           // overrides the scenario's when > 0
	Duration time.Duration // overrides the scenario's when > 0
	// Timing, when named, overrides the scenario's (FastTiming,
	// ProductionTiming).
	Timing *Timing
	// ZooLocked and Job are the binaries: zoo-locked, and one that runs
	// WitnessJob when called as "JOB job ..." (zoo-chaos).
	ZooLocked, Job string
	Backend        string
	// Image, when set, is the servers' container image (a ZooKeeper
	// version: ImageFor); it needs the container backend.
	Image  string
	Logger *slog.Logger // progress lines
	// Ensemble reuses a running ensemble instead of starting one.
	Ensemble *ensemble.Ensemble
	// Command, when set, is the user's own job, run through the shim on
	// every node instead of the built-in one.
	Command []string
	// Plan, when set, replaces the scenario's seeded fault schedule.
	Plan *faults.Plan
	// Wrapper, when set, is the lock tool every node fires instead of
	// zoo-locked: a shell command line with placeholders (wrapper.go).
	Wrapper string
}

// Trial is one run of a scenario in progress: the stage its faults act on.
type Trial struct {
	scenario Scenario
	cfg      TrialConfig
	ensemble *ensemble.Ensemble
	witness  *Witness
	nodes    []*workNode
	epoch    time.Time
	lockName string
	runID    string
	log      *slog.Logger
	// schedule is the faults to play, from the plan or drawn from the
	// seed; planned plays them at their offsets, else one after another.
	schedule []faults.Step
	planned  bool
	wrappers bytes.Buffer // what the wrappers said, for the report
	wmu      sync.Mutex
}

// Ensemble implements Stage.
func (t *Trial) Ensemble() *ensemble.Ensemble { return t.ensemble }

// Clients implements Stage.
func (t *Trial) Clients() []faults.Client {
	out := make([]faults.Client, len(t.nodes))
	for i, n := range t.nodes {
		out[i] = n
	}
	return out
}

// Client implements Stage. A fault aimed at the holder that lands between
// two jobs waits for the next one.
func (t *Trial) Client(ctx context.Context, target faults.NodeTarget) (faults.Client, error) {
	switch target {
	case faults.Holder:
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if name, _, ok := t.witness.HoldingSince(); ok {
				return t.node(name), nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return nil, errors.New("no single holder for 5 s")
			}
		}
	case faults.Waiter:
		holder, _, _ := t.witness.HoldingSince()
		for _, n := range t.nodes {
			if n.name != holder && n.WrapperPid() != 0 {
				return n, nil
			}
		}
		return nil, errors.New("no waiter right now")
	}
	if n := t.node(string(target)); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("no node %q", target)
}

// HolderJobEndsIn implements JobClock.
func (t *Trial) HolderJobEndsIn() (time.Duration, error) {
	_, start, ok := t.witness.HoldingSince()
	if !ok {
		return 0, errors.New("no single holder")
	}
	return start + t.scenario.JobLength - t.since(), nil
}

func (t *Trial) node(name string) *workNode {
	for _, n := range t.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (t *Trial) since() time.Duration { return time.Since(t.epoch) }

// Execute runs a trial of a scenario and returns its history; Check turns
// it into verdicts.
func Execute(ctx context.Context, sc Scenario, cfg TrialConfig) (*checker.History, error) {
	t, cleanup, err := setUp(ctx, sc, cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	windows, leaders := t.run(ctx)
	return t.collect(ctx, windows, leaders), nil
}

// setUp applies the config to the scenario, starts (or borrows) the
// ensemble, the nodes' links and the witness.
func setUp(ctx context.Context, sc Scenario, cfg TrialConfig) (*Trial, func(), error) {
	if cfg.Timing != nil {
		sc = sc.WithTiming(*cfg.Timing)
	}
	sc = sc.WithDefaults()
	if cfg.Nodes > 0 {
		sc.Nodes = cfg.Nodes
	}
	if cfg.Duration > 0 {
		sc.Duration = cfg.Duration
	}
	if cfg.Wrapper != "" {
		if err := CheckWrapper(sc, cfg.Wrapper); err != nil {
			return nil, nil, err
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Trial{scenario: sc, cfg: cfg, log: log, runID: fmt.Sprintf("%s-%d-%d", sc.Name, cfg.Seed, time.Now().UnixNano()),
		lockName: "chaos-" + sc.Name}
	t.schedule, t.planned = sc.Schedule(cfg.Seed, sc.Duration), cfg.Plan != nil
	if t.planned {
		t.schedule = cfg.Plan.Schedule()
	}
	movableClocks := faults.MovesServerClocks(t.schedule)
	cleanup := func() {}
	t.ensemble = cfg.Ensemble
	if t.ensemble != nil && movableClocks && !t.ensemble.MovableClocks() {
		return nil, nil, fmt.Errorf("%s moves a server's clock, and the ensemble given was started with fixed clocks: run it on its own ensemble, or start the shared one with movable clocks", sc.Name)
	}
	if t.ensemble == nil {
		log.Info("starting ensemble", "scenario", sc.Name, "movable clocks", movableClocks)
		e, err := ensemble.NewEnsemble(ctx, ensemble.Options{Backend: cfg.Backend, Image: cfg.Image, Logger: log, TickTime: sc.TickTime, MovableClocks: movableClocks})
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { _ = e.Close(context.WithoutCancel(ctx)) }
		t.ensemble = e
		if movableClocks {
			if err := e.WarmUp(ctx); err != nil {
				cleanup()
				return nil, nil, err
			}
		}
	}
	for i := 1; i <= sc.Nodes; i++ {
		name := fmt.Sprintf("node%d", i)
		p, err := t.ensemble.Node(name)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		t.nodes = append(t.nodes, &workNode{name: name, links: p})
	}
	t.epoch = time.Now()
	w, err := NewWitness(t.epoch)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	t.witness = w
	// One resource fenced by the highest token cannot serve N holders at
	// once: with --limit the witness records and checks token order only.
	// A tool under --wrapper may pass no token: the witness refuses no
	// write, and S2 judges the tokens it saw, if any.
	if sc.Limit > 1 || cfg.Wrapper != "" {
		w.Unfence()
	}
	return t, cleanup, nil
}

// run fires the workload on every node while the nemesis plays its
// schedule, for the scenario's duration, then lets the running jobs end.
func (t *Trial) run(ctx context.Context) ([]faults.FaultWindow, []checker.LeaderChange) {
	sc, log := t.scenario, t.log
	schedule := t.schedule
	n := faults.NemesisRun{Ctx: ctx, On: t, Since: t.since, Log: log, FenceAfter: t.fenceAfter()}
	faults := n.InTurn
	if t.planned {
		faults = n.AtOffsets
	}
	log.Info("running", "scenario", sc.Name, "seed", t.cfg.Seed, "nodes", sc.Nodes, "duration", sc.Duration, "faults", len(schedule))

	stopFiring := make(chan struct{})
	var workers sync.WaitGroup
	for i, node := range t.nodes {
		workers.Go(func() { t.fire(i, node, stopFiring) })
	}
	leadersDone := make(chan []checker.LeaderChange)
	stopLeaders := make(chan struct{})
	go func() { leadersDone <- watchLeaders(ctx, t.ensemble, t.since, stopLeaders) }()
	healed := faults(schedule)
	progress := time.NewTicker(5 * time.Second)
	deadline := time.NewTimer(sc.Duration)
loop:
	for {
		select {
		case <-progress.C:
			log.Info("progress", "scenario", sc.Name, "elapsed", t.since().Round(time.Second), "jobs_done", len(t.witness.Ended()))
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	progress.Stop()
	windows := <-healed
	close(stopFiring)
	log.Info("settling: no new jobs, waiting for running ones", "scenario", sc.Name)
	workers.Wait()
	close(stopLeaders)
	return windows, <-leadersDone
}

// collect gathers the history: the witness's intervals, every firing,
// and what the run left behind (znodes, processes).
func (t *Trial) collect(ctx context.Context, windows []faults.FaultWindow, leaders []checker.LeaderChange) *checker.History {
	sc, cfg := t.scenario, t.cfg
	h := &checker.History{
		Scenario: sc.Name, Seed: cfg.Seed, Backend: t.ensemble.Backend(), Duration: t.since(),
		SessionTimeout: sc.SessionTimeout, TickTime: t.ensemble.TickTime(), KillGrace: sc.KillGrace, Faults: windows, Leaders: leaders,
		Command: cfg.Command, Plan: faults.ExecutedPlan(sc.Name, cfg.Seed, windows), OncePer: sc.OncePer > 0,
		Wrapper: cfg.Wrapper,
	}
	h.Intervals = t.witness.Close()
	for _, n := range t.nodes {
		h.Nodes = append(h.Nodes, n.name)
		h.Firings = append(h.Firings, n.firings...)
	}
	h.LeftZnodes = ensemble.LeftZnodes(ctx, t.ensemble, t.lockPath(), sc.SessionTimeout)
	h.Epoch = t.epoch
	if sc.OncePer > 0 {
		h.SlotPeriod = sc.OncePer
		var err error
		if h.SlotLedger, err = readSlotLedger(t.ensemble, t.lockPath()); err != nil {
			h.LedgerError = err.Error()
		}
	}
	h.Orphans = orphans(t.runID)
	// Judged, they go: a tool under test must not leave its trees running
	// on the machine after the run (a grandchild that ignores TERM would
	// loop forever).
	for _, pid := range h.Orphans {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	h.WrapperLog = t.WrapperLog()
	return h
}

// fenceAfter is how long a holder may go unheard before its wrapper
// fences the job: a fault shorter than that is ridden through. It sizes
// faults only; the verdicts judge against the guarantee (the job dead
// before the session can expire), not against this figure.
func (t *Trial) fenceAfter() time.Duration {
	return fencerule.After(t.scenario.SessionTimeout, t.scenario.KillGrace)
}

// WrapperLog is what the wrappers wrote to stderr, each line stamped.
func (t *Trial) WrapperLog() string {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	return t.wrappers.String()
}
