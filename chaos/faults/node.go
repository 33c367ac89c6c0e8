package faults

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// PartitionNode cuts a client node (the holder, a waiter or a named node)
// from the whole ensemble.
type PartitionNode struct {
	Target NodeTarget
	// BeforeJobEnd, with the Holder target, cuts that long before the
	// holder's job ends: the window between a job's success and its
	// --once-per record. It needs a stage with a workload (JobClock).
	BeforeJobEnd time.Duration
	targeted
}

// PartitionParams are a partition's: with before_job_end, it cuts the
// holder that long before its job ends.
type PartitionParams struct {
	BeforeJobEnd Duration `json:"before_job_end,omitempty"`
}

var PartitionKind = kindWith("partition", func(s FaultSpec, p PartitionParams) (Fault, error) {
	t, err := nodeTarget(s)
	return &PartitionNode{Target: t, BeforeJobEnd: time.Duration(p.BeforeJobEnd)}, err
})

func (f *PartitionNode) Spec() FaultSpec {
	s := FaultSpec{Kind: PartitionKind.Name, Target: string(f.Target)}
	if f.BeforeJobEnd > 0 {
		s.Params = &PartitionParams{BeforeJobEnd: Duration(f.BeforeJobEnd)}
	}
	return s
}
func (f *PartitionNode) Name() string {
	if f.BeforeJobEnd > 0 {
		return fmt.Sprintf("partition %s %v before its job ends", f.Target, f.BeforeJobEnd)
	}
	return "partition " + string(f.Target)
}
func (f *PartitionNode) Start(ctx context.Context, on Stage) error {
	c, err := on.Client(ctx, f.Target)
	if err != nil {
		return err
	}
	if f.BeforeJobEnd > 0 {
		clock, ok := on.(JobClock)
		if !ok {
			return errors.New("no workload: cannot time a cut against the holder's job")
		}
		left, err := clock.HolderJobEndsIn()
		if err != nil {
			return err
		}
		if wait := left - f.BeforeJobEnd; wait > 0 {
			time.Sleep(wait) // timing the fault is the point
		}
	}
	f.target = c.Name()
	return c.Links().Cut(ctx)
}
func (f *PartitionNode) Heal(ctx context.Context, on Stage) error {
	if f.target == "" {
		return nil
	}
	c, err := on.Client(ctx, NodeTarget(f.target))
	if err != nil {
		return err
	}
	return c.Links().Heal(ctx)
}

// AimedAtHolder implements HolderLoser.
func (f *PartitionNode) AimedAtHolder() bool { return f.Target == Holder }

// LosesHolder: a partition of the holder past the fence deadline takes it
// away; a shorter one is ridden through (L3). One timed against the job's
// end tests the record, not the takeover.
func (f *PartitionNode) LosesHolder(lasting, fenceAfter time.Duration) bool {
	return f.Target == Holder && f.BeforeJobEnd == 0 && lasting > fenceAfter
}

// SlowNodes adds latency and jitter to every client node's links.
type SlowNodes struct {
	Latency, Jitter time.Duration
	targeted
}

// SlowParams are slow's: the latency every client link gets each way, and
// its jitter.
type SlowParams struct {
	Latency Duration `json:"latency"`
	Jitter  Duration `json:"jitter,omitempty"`
}

var slowKind = kindWith("slow", func(_ FaultSpec, p SlowParams) (Fault, error) {
	if p.Latency <= 0 {
		return nil, errors.New("slow needs a latency, e.g. \"latency\": \"150ms\"")
	}
	return &SlowNodes{Latency: time.Duration(p.Latency), Jitter: time.Duration(p.Jitter)}, nil
})

func (f *SlowNodes) Spec() FaultSpec {
	return FaultSpec{Kind: slowKind.Name, Params: &SlowParams{Latency: Duration(f.Latency), Jitter: Duration(f.Jitter)}}
}
func (f *SlowNodes) Name() string {
	return fmt.Sprintf("slow network %d±%d ms", f.Latency.Milliseconds(), f.Jitter.Milliseconds())
}
func (f *SlowNodes) Start(ctx context.Context, on Stage) error {
	f.target = "all nodes"
	var errs []error
	for _, c := range on.Clients() {
		errs = append(errs, c.Links().Slow(ctx, f.Latency, f.Jitter))
	}
	return errors.Join(errs...)
}
func (f *SlowNodes) Heal(ctx context.Context, on Stage) error {
	var errs []error
	for _, c := range on.Clients() {
		errs = append(errs, c.Links().Heal(ctx))
	}
	return errors.Join(errs...)
}

// KillWrapper SIGKILLs the zoo-locked process of the holder (or a waiter,
// or a named node): a crash, with nothing to heal.
type KillWrapper struct {
	Target NodeTarget
	targeted
}

var KillWrapperKind = faultKind{Name: "kill-wrapper", build: func(s FaultSpec) (Fault, error) {
	t, err := nodeTarget(s)
	return &KillWrapper{Target: t}, err
}}

func (f *KillWrapper) Spec() FaultSpec {
	return FaultSpec{Kind: KillWrapperKind.Name, Target: string(f.Target)}
}
func (f *KillWrapper) Name() string { return "kill -9 " + string(f.Target) + " wrapper" }
func (f *KillWrapper) Start(ctx context.Context, on Stage) error {
	c, pid, err := wrapperOf(ctx, on, f.Target)
	if err != nil {
		return err
	}
	f.target = c.Name()
	_ = syscall.Kill(pid, syscall.SIGKILL) // ESRCH: it just exited
	return nil
}
func (f *KillWrapper) Heal(context.Context, Stage) error { return nil }

// AimedAtHolder implements HolderLoser.
func (f *KillWrapper) AimedAtHolder() bool { return f.Target == Holder }

// LosesHolder: a crashed holder is always gone.
func (f *KillWrapper) LosesHolder(time.Duration, time.Duration) bool { return f.Target == Holder }

// PauseWrapper freezes a node's wrapper and its whole tree (SIGSTOP), as
// a VM freeze does, until Heal sends SIGCONT.
type PauseWrapper struct {
	Target NodeTarget
	pids   []int
	targeted
}

var PauseWrapperKind = faultKind{Name: "pause-wrapper", build: func(s FaultSpec) (Fault, error) {
	t, err := nodeTarget(s)
	return &PauseWrapper{Target: t}, err
}}

func (f *PauseWrapper) Spec() FaultSpec {
	return FaultSpec{Kind: PauseWrapperKind.Name, Target: string(f.Target)}
}
func (f *PauseWrapper) Name() string { return "pause " + string(f.Target) }
func (f *PauseWrapper) Start(ctx context.Context, on Stage) error {
	c, pid, err := wrapperOf(ctx, on, f.Target)
	if err != nil {
		return err
	}
	f.target = c.Name()
	f.pids = append([]int{pid}, processTree(pid)...)
	for _, p := range f.pids {
		_ = syscall.Kill(p, syscall.SIGSTOP) // ESRCH: it just exited
	}
	return nil
}
func (f *PauseWrapper) Heal(context.Context, Stage) error {
	for _, p := range f.pids {
		_ = syscall.Kill(p, syscall.SIGCONT) // ESRCH: killed meanwhile
	}
	return nil
}

// AimedAtHolder implements HolderLoser.
func (f *PauseWrapper) AimedAtHolder() bool { return f.Target == Holder }

// LosesHolder: a pause of the holder past the fence deadline takes it away.
func (f *PauseWrapper) LosesHolder(lasting, fenceAfter time.Duration) bool {
	return f.Target == Holder && lasting > fenceAfter
}

func wrapperOf(ctx context.Context, on Stage, target NodeTarget) (Client, int, error) {
	c, err := on.Client(ctx, target)
	if err != nil {
		return nil, 0, err
	}
	pid := c.WrapperPid()
	if pid == 0 {
		return nil, 0, fmt.Errorf("node %s runs no wrapper", c.Name())
	}
	return c, pid, nil
}
