package chaos

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"
)

// Fault is one kind of failure: Start injects it, Heal undoes it. A fault
// that picks its target at Start (the holder, the leader) remembers it for
// Heal, so each schedule needs fresh values.
type Fault interface {
	Name() string
	Start(ctx context.Context, r *Run) error
	Heal(ctx context.Context, r *Run) error
}

// Step schedules a fault at At (from the start of the run) for For.
type Step struct {
	At    time.Duration
	For   time.Duration
	Fault Fault
}

// FaultWindow is a fault as it happened, for the checker and the report.
type FaultWindow struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target"` // node or server it hit
	// Began is when injection began, Start when it was done: a fault may
	// be in effect in between (stopping two servers takes a second), and
	// one that waits for its target (the holder) takes effect at Start.
	Began time.Duration `json:"began_ns"`
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
	Error string        `json:"error,omitempty"`
	// HolderLoss marks faults that take the lock holder away; the checker
	// measures the takeover after each (L1).
	HolderLoss bool `json:"holder_loss"`
}

// opened is the earliest the fault may have been in effect.
func (f FaultWindow) opened() time.Duration {
	if f.Began > 0 && f.Began < f.Start {
		return f.Began
	}
	return f.Start
}

// targeted is embedded by faults to remember what they hit.
type targeted struct{ target string }

func (t *targeted) Target() string { return t.target }

// pickNode resolves "holder", "waiter" or a node name to a node. A fault
// aimed at the holder that lands between two jobs waits for the next one.
func pickNode(r *Run, which string) (*workNode, error) {
	switch which {
	case "holder":
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if name, ok := r.witness.Holding(); ok {
				return r.node(name), nil
			}
			if time.Now().After(deadline) {
				return nil, errors.New("no single holder for 5 s")
			}
		}
	case "waiter":
		holder, _ := r.witness.Holding()
		for _, n := range r.nodes {
			if n.name != holder && n.running() {
				return n, nil
			}
		}
		return nil, errors.New("no waiter right now")
	}
	if n := r.node(which); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("no node %q", which)
}

// pickServer resolves "leader", "follower" or "zkN" to a server id.
func pickServer(ctx context.Context, r *Run, which string) (int, error) {
	leader, err := r.ensemble.Leader(ctx)
	switch which {
	case "leader":
		return leader, err
	case "follower":
		if err != nil {
			return 0, err
		}
		return leader%len(r.ensemble.IDs()) + 1, nil
	}
	var id int
	if _, err := fmt.Sscanf(which, "zk%d", &id); err != nil {
		return 0, fmt.Errorf("no server %q", which)
	}
	return id, nil
}

// PartitionNode cuts a client node (the holder, a waiter or a named node)
// from the whole ensemble.
type PartitionNode struct {
	Which string
	// BeforeJobEnd, with Which "holder", cuts that long before the holder's
	// job ends: the window between a job's success and its --once-per record.
	BeforeJobEnd time.Duration
	targeted
}

func (f *PartitionNode) Name() string {
	if f.BeforeJobEnd > 0 {
		return fmt.Sprintf("partition %s %v before its job ends", f.Which, f.BeforeJobEnd)
	}
	return "partition " + f.Which
}
func (f *PartitionNode) Start(ctx context.Context, r *Run) error {
	n, err := pickNode(r, f.Which)
	if err != nil {
		return err
	}
	if f.BeforeJobEnd > 0 {
		_, start, ok := r.witness.HoldingSince()
		if !ok {
			return errors.New("no single holder")
		}
		if wait := start + r.scenario.JobLength - f.BeforeJobEnd - r.since(); wait > 0 {
			time.Sleep(wait)
		}
	}
	f.target = n.name
	return n.proxies.Cut(ctx)
}
func (f *PartitionNode) Heal(ctx context.Context, r *Run) error {
	if f.target == "" {
		return nil
	}
	return r.node(f.target).proxies.Heal(ctx)
}

// SlowNodes adds latency and jitter to every node's links.
type SlowNodes struct {
	LatencyMs, JitterMs int64
	targeted
}

func (f *SlowNodes) Name() string {
	return fmt.Sprintf("slow network %d±%d ms", f.LatencyMs, f.JitterMs)
}
func (f *SlowNodes) Start(ctx context.Context, r *Run) error {
	f.target = "all nodes"
	var errs []error
	for _, n := range r.nodes {
		errs = append(errs, n.proxies.Slow(ctx, f.LatencyMs, f.JitterMs))
	}
	return errors.Join(errs...)
}
func (f *SlowNodes) Heal(ctx context.Context, r *Run) error {
	var errs []error
	for _, n := range r.nodes {
		errs = append(errs, n.proxies.Heal(ctx))
	}
	return errors.Join(errs...)
}

// ServerFault acts on one server (the leader or a follower, chosen at
// fault time): kill, stop, pause, restart, or cut from its peers.
type ServerFault struct {
	Action string // kill, stop, pause, restart, isolate
	Which  string // leader, follower, zkN
	id     int
	targeted
}

func (f *ServerFault) Name() string { return f.Action + " " + f.Which }
func (f *ServerFault) Start(ctx context.Context, r *Run) error {
	id, err := pickServer(ctx, r, f.Which)
	if err != nil {
		return err
	}
	f.id, f.target = id, fmt.Sprintf("zk%d", id)
	e := r.ensemble
	switch f.Action {
	case "kill":
		return e.Kill(ctx, id)
	case "stop":
		return e.Stop(ctx, id)
	case "pause":
		return e.Pause(ctx, id)
	case "restart":
		return e.Restart(ctx, id)
	case "isolate":
		return e.CutPeers(ctx, id)
	}
	return fmt.Errorf("unknown server action %q", f.Action)
}
func (f *ServerFault) Heal(ctx context.Context, r *Run) error {
	if f.id == 0 {
		return nil
	}
	e := r.ensemble
	switch f.Action {
	case "kill", "stop":
		return e.Start(ctx, f.id)
	case "pause":
		return e.Unpause(ctx, f.id)
	case "isolate":
		return e.HealPeers(ctx, f.id)
	}
	return nil
}

// QuorumLoss stops every server but one.
type QuorumLoss struct {
	stopped []int
	targeted
}

func (f *QuorumLoss) Name() string { return "quorum loss" }
func (f *QuorumLoss) Start(ctx context.Context, r *Run) error {
	ids := r.ensemble.IDs()
	f.target = "all but zk1"
	for _, id := range ids[1:] {
		if err := r.ensemble.Stop(ctx, id); err != nil {
			return err
		}
		f.stopped = append(f.stopped, id)
	}
	return nil
}
func (f *QuorumLoss) Heal(ctx context.Context, r *Run) error {
	var errs []error
	for _, id := range f.stopped {
		errs = append(errs, r.ensemble.Start(ctx, id))
	}
	return errors.Join(errs...)
}

// WrapperSignal hits the holder's (or a waiter's) zoo-locked process: KILL
// is a crash (no heal); STOP freezes the wrapper and its whole tree until
// Heal sends CONT, like a VM freeze.
type WrapperSignal struct {
	Signal syscall.Signal // SIGKILL or SIGSTOP
	Which  string         // holder or waiter
	pids   []int
	targeted
}

func (f *WrapperSignal) Name() string {
	if f.Signal == syscall.SIGSTOP {
		return "pause " + f.Which
	}
	return "kill -9 " + f.Which + " wrapper"
}
func (f *WrapperSignal) Start(ctx context.Context, r *Run) error {
	n, err := pickNode(r, f.Which)
	if err != nil {
		return err
	}
	pid := n.wrapperPid()
	if pid == 0 {
		return fmt.Errorf("node %s runs no wrapper", n.name)
	}
	f.target = n.name
	f.pids = []int{pid}
	if f.Signal == syscall.SIGSTOP {
		f.pids = append(f.pids, lock.Descendants(pid)...)
	}
	for _, p := range f.pids {
		_ = syscall.Kill(p, f.Signal) // ESRCH: it just exited
	}
	return nil
}
func (f *WrapperSignal) Heal(ctx context.Context, r *Run) error {
	if f.Signal == syscall.SIGSTOP {
		for _, p := range f.pids {
			_ = syscall.Kill(p, syscall.SIGCONT) // ESRCH: killed meanwhile
		}
	}
	return nil
}

// holderLoss says whether a step takes the holder away (L1 is measured
// after it): a crash always does; a partition or a pause only when it lasts
// past the fence deadline — a shorter one is ridden through (L3).
func holderLoss(s Step, sc Scenario) bool {
	long := s.For > sc.SessionTimeout-sc.KillGrace
	switch f := s.Fault.(type) {
	case *WrapperSignal:
		return f.Which == "holder" && (f.Signal == syscall.SIGKILL || long)
	case *PartitionNode:
		return f.Which == "holder" && f.BeforeJobEnd == 0 && long
	}
	return false
}

func faultKind(f Fault) string {
	return fmt.Sprintf("%T", f)[len("*chaos."):]
}
