package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zoo-locked/zoo-locked/lock/fencerule"
)

// TrialConfig says how to run a scenario.
type TrialConfig struct {
	Seed     int64
	Nodes    int           // overrides the scenario's when > 0
	Duration time.Duration // overrides the scenario's when > 0
	// ZooLocked and Job are the binaries: zoo-locked, and one that runs
	// WitnessJob when called as "JOB job ..." (zoo-chaos).
	ZooLocked, Job string
	Backend        string
	Logger         *slog.Logger // progress lines
	// Ensemble reuses a running ensemble instead of starting one.
	Ensemble *Ensemble
	// Command, when set, is the user's own job, run through the shim on
	// every node instead of the built-in one.
	Command []string
	// Plan, when set, replaces the scenario's seeded fault schedule.
	Plan *Plan
}

// Trial is one run of a scenario in progress: the stage its faults act on.
type Trial struct {
	scenario Scenario
	cfg      TrialConfig
	ensemble *Ensemble
	witness  *Witness
	nodes    []*workNode
	epoch    time.Time
	lockName string
	runID    string
	log      *slog.Logger
	wrappers bytes.Buffer // what the wrappers said, for the report
	wmu      sync.Mutex
}

// Ensemble implements Stage.
func (r *Trial) Ensemble() *Ensemble { return r.ensemble }

// Clients implements Stage.
func (r *Trial) Clients() []Client {
	out := make([]Client, len(r.nodes))
	for i, n := range r.nodes {
		out[i] = n
	}
	return out
}

// Client implements Stage. A fault aimed at the holder that lands between
// two jobs waits for the next one.
func (r *Trial) Client(ctx context.Context, target NodeTarget) (Client, error) {
	switch target {
	case Holder:
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if name, _, ok := r.witness.HoldingSince(); ok {
				return r.node(name), nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return nil, errors.New("no single holder for 5 s")
			}
		}
	case Waiter:
		holder, _, _ := r.witness.HoldingSince()
		for _, n := range r.nodes {
			if n.name != holder && n.WrapperPid() != 0 {
				return n, nil
			}
		}
		return nil, errors.New("no waiter right now")
	}
	if n := r.node(string(target)); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("no node %q", target)
}

// HolderJobEndsIn implements JobClock.
func (r *Trial) HolderJobEndsIn() (time.Duration, error) {
	_, start, ok := r.witness.HoldingSince()
	if !ok {
		return 0, errors.New("no single holder")
	}
	return start + r.scenario.JobLength - r.since(), nil
}

func (r *Trial) node(name string) *workNode {
	for _, n := range r.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (r *Trial) since() time.Duration { return time.Since(r.epoch) }

// Execute runs a trial of a scenario and returns its history; Check turns
// it into verdicts.
func Execute(ctx context.Context, sc Scenario, cfg TrialConfig) (*History, error) {
	sc = sc.WithDefaults()
	if cfg.Nodes > 0 {
		sc.Nodes = cfg.Nodes
	}
	if cfg.Duration > 0 {
		sc.Duration = cfg.Duration
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Trial{scenario: sc, cfg: cfg, log: log, runID: fmt.Sprintf("%s-%d-%d", sc.Name, cfg.Seed, time.Now().UnixNano()),
		lockName: "chaos-" + sc.Name}
	r.ensemble = cfg.Ensemble
	if r.ensemble == nil {
		log.Info("starting ensemble", "scenario", sc.Name)
		e, err := NewEnsemble(ctx, Options{Backend: cfg.Backend, Logger: log})
		if err != nil {
			return nil, err
		}
		defer e.Close(context.WithoutCancel(ctx))
		r.ensemble = e
	}
	for i := 1; i <= sc.Nodes; i++ {
		name := fmt.Sprintf("node%d", i)
		p, err := r.ensemble.Node(name)
		if err != nil {
			return nil, err
		}
		r.nodes = append(r.nodes, &workNode{name: name, links: p})
	}
	r.epoch = time.Now()
	w, err := NewWitness(r.epoch)
	if err != nil {
		return nil, err
	}
	r.witness = w
	// One resource fenced by the highest token cannot serve N holders at
	// once: with --limit the witness records and checks token order only.
	if sc.Limit > 1 {
		w.Unfence()
	}
	schedule := sc.Schedule(cfg.Seed, sc.Duration)
	if cfg.Plan != nil {
		schedule = cfg.Plan.Schedule()
	}
	log.Info("running", "scenario", sc.Name, "seed", cfg.Seed, "nodes", sc.Nodes, "duration", sc.Duration, "faults", len(schedule))

	stopFiring := make(chan struct{})
	var workers sync.WaitGroup
	for i, n := range r.nodes {
		workers.Go(func() { r.fire(i, n, stopFiring) })
	}
	leadersDone := make(chan []LeaderChange)
	stopLeaders := make(chan struct{})
	go func() { leadersDone <- watchLeaders(ctx, r.ensemble, r.since, stopLeaders) }()
	faults := nemesis(ctx, r, schedule, r.since, log, r.fenceAfter(), cfg.Plan == nil)
	progress := time.NewTicker(5 * time.Second)
	deadline := time.NewTimer(sc.Duration)
loop:
	for {
		select {
		case <-progress.C:
			log.Info("progress", "scenario", sc.Name, "elapsed", r.since().Round(time.Second), "jobs_done", len(r.witness.Ended()))
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	progress.Stop()
	windows := <-faults
	close(stopFiring)
	log.Info("settling: no new jobs, waiting for running ones", "scenario", sc.Name)
	workers.Wait()
	close(stopLeaders)
	h := &History{
		Scenario: sc.Name, Seed: cfg.Seed, Backend: r.ensemble.Backend(), Duration: r.since(),
		SessionTimeout: sc.SessionTimeout, KillGrace: sc.KillGrace, Faults: windows, Leaders: <-leadersDone,
		Command: cfg.Command, Plan: executedPlan(sc.Name, cfg.Seed, windows),
	}
	h.Intervals = w.Close()
	for _, n := range r.nodes {
		h.Nodes = append(h.Nodes, n.name)
		h.Firings = append(h.Firings, n.firings...)
	}
	h.LeftZnodes = leftZnodes(ctx, r.ensemble, r.lockPath(), sc.SessionTimeout)
	h.Orphans = orphans(r.runID)
	h.WrapperLog = r.WrapperLog()
	return h, nil
}

// fenceAfter is how long a holder may go unheard before its wrapper
// fences the job: a fault shorter than that is ridden through. It sizes
// faults only; the verdicts judge against the guarantee (the job dead
// before the session can expire), not against this figure.
func (r *Trial) fenceAfter() time.Duration {
	return fencerule.After(r.scenario.SessionTimeout, r.scenario.KillGrace)
}

// WrapperLog is what the wrappers wrote to stderr, each line stamped.
func (r *Trial) WrapperLog() string {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.wrappers.String()
}
