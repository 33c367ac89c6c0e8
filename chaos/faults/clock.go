package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ClockJump steps a server's wall clock by Offset (either way), as an NTP
// step or a resumed VM does; Heal sets it right. Its monotonic clock, which
// times sessions and elections, is left alone, as a real step leaves it.
type ClockJump struct {
	serverHit
	Offset time.Duration
}

// JumpClock builds a ClockJump.
func JumpClock(t ServerTarget, offset time.Duration) *ClockJump {
	return &ClockJump{serverHit: serverHit{Target: t}, Offset: offset}
}

// ClockParams are a clock step's (clock-jump, node-clock): how far the
// clock is set, ahead or back.
type ClockParams struct {
	Offset SignedDuration `json:"offset"`
}

var ClockJumpKind = kindWith("clock-jump", func(s FaultSpec, p ClockParams) (Fault, error) {
	t, err := ParseServerTarget(s.Target)
	if err == nil && p.Offset == 0 {
		err = errors.New("clock-jump needs an offset: --offset 1h (or -30m) by hand, \"offset\": \"1h\" in a plan")
	}
	return JumpClock(t, time.Duration(p.Offset)), err
})

func (f *ClockJump) Spec() FaultSpec {
	s := f.spec(ClockJumpKind.Name)
	s.Params = &ClockParams{Offset: SignedDuration(f.Offset)}
	return s
}
func (f *ClockJump) movesServerClock() {}
func (f *ClockJump) Name() string      { return fmt.Sprintf("%s clock %+v", f.Target, f.Offset) }
func (f *ClockJump) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, func(ctx context.Context, id int) error { return on.Ensemble().SetClock(ctx, id, f.Offset) })
}
func (f *ClockJump) Heal(ctx context.Context, on Stage) error {
	return f.undo(ctx, func(ctx context.Context, id int) error { return on.Ensemble().SetClock(ctx, id, 0) })
}

// serverClockMover is a fault that moves a server's wall clock: its
// ensemble must be started with movable clocks.
type serverClockMover interface{ movesServerClock() }

func MovesServerClocks(schedule []Step) bool {
	for _, s := range schedule {
		if _, ok := s.Fault.(serverClockMover); ok {
			return true
		}
	}
	return false
}

// ClockDrift makes a server's wall clock run fast (Rate > 0) or slow by
// Rate seconds per second, as a bad oscillator with no NTP does, until
// Heal sets it right. The offset is rewritten every clockDriftStep.
type ClockDrift struct {
	serverHit
	Rate float64
	stop chan struct{}
	done sync.WaitGroup
}

// clockDriftStep is how often a drifting clock's offset is rewritten;
// the server re-reads it each second.
const clockDriftStep = 250 * time.Millisecond

// DriftClock builds a ClockDrift.
func DriftClock(t ServerTarget, rate float64) *ClockDrift {
	return &ClockDrift{serverHit: serverHit{Target: t}, Rate: rate}
}

func (f *ClockDrift) movesServerClock() {}

// DriftParams are clock-drift's: the clock's error in seconds per second.
type DriftParams struct {
	Rate float64 `json:"rate"`
}

var ClockDriftKind = kindWith("clock-drift", func(s FaultSpec, p DriftParams) (Fault, error) {
	t, err := ParseServerTarget(s.Target)
	if err == nil && (p.Rate == 0 || p.Rate < -0.9 || p.Rate > 10) {
		err = errors.New("clock-drift needs a rate in seconds per second, from -0.9 to 10: --rate 0.2 by hand, \"rate\": 0.2 in a plan")
	}
	return DriftClock(t, p.Rate), err
})

func (f *ClockDrift) Spec() FaultSpec {
	s := f.spec(ClockDriftKind.Name)
	s.Params = &DriftParams{Rate: f.Rate}
	return s
}
func (f *ClockDrift) Name() string {
	return fmt.Sprintf("%s clock drifts %+.0f ms/s", f.Target, f.Rate*1000)
}
func (f *ClockDrift) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, func(ctx context.Context, id int) error {
		f.stop = make(chan struct{})
		began := time.Now()
		f.done.Go(func() {
			tick := time.NewTicker(clockDriftStep)
			defer tick.Stop()
			for {
				select {
				case <-f.stop:
					return
				case <-tick.C:
					offset := time.Duration(float64(time.Since(began)) * f.Rate)
					_ = on.Ensemble().SetClock(context.WithoutCancel(ctx), id, offset) // the next step writes again
				}
			}
		})
		return nil
	})
}
func (f *ClockDrift) Heal(ctx context.Context, on Stage) error {
	if f.stop != nil {
		close(f.stop)
		f.done.Wait()
		f.stop = nil
	}
	return f.undo(ctx, func(ctx context.Context, id int) error { return on.Ensemble().SetClock(ctx, id, 0) })
}

// NodeClock puts a client node's clock off by Offset: the wrappers it
// fires from then on read their wall clock that far off, until Heal. A
// static Go binary cannot be preloaded with faketime, so the skew goes in
// through the wrapper's own hidden seam, which every reading of its clock
// passes (cron's firing time, the clock error, slots).
type NodeClock struct {
	Target NodeTarget
	Offset time.Duration
	targeted
}

// SkewedClient is a client node whose wrappers can be started with a
// skewed clock: the trial's nodes are.
type SkewedClient interface {
	SetClockSkew(time.Duration)
}

var NodeClockKind = kindWith("node-clock", func(s FaultSpec, p ClockParams) (Fault, error) {
	t, err := nodeTarget(s)
	if err == nil && p.Offset == 0 {
		err = errors.New("node-clock needs an offset: \"offset\": \"-10m\" in a plan")
	}
	return &NodeClock{Target: t, Offset: time.Duration(p.Offset)}, err
})

func (f *NodeClock) Spec() FaultSpec {
	return FaultSpec{Kind: NodeClockKind.Name, Target: string(f.Target), Params: &ClockParams{Offset: SignedDuration(f.Offset)}}
}
func (f *NodeClock) Name() string { return fmt.Sprintf("%s clock %+v", f.Target, f.Offset) }
func (f *NodeClock) Start(ctx context.Context, on Stage) error {
	return f.set(ctx, on, f.Target, f.Offset)
}
func (f *NodeClock) Heal(ctx context.Context, on Stage) error {
	if f.target == "" {
		return nil
	}
	return f.set(ctx, on, NodeTarget(f.target), 0)
}

func (f *NodeClock) set(ctx context.Context, on Stage, target NodeTarget, offset time.Duration) error {
	c, err := on.Client(ctx, target)
	if err != nil {
		return err
	}
	skewed, ok := c.(SkewedClient)
	if !ok {
		return fmt.Errorf("node %s fires no wrappers here: a node's clock needs a workload (zoo-chaos run)", c.Name())
	}
	f.target = c.Name()
	skewed.SetClockSkew(offset)
	return nil
}

// isClockFault says a fault kind moves a clock: it can make a firing
// refuse (81), never cost a lock or a quorum.
func IsClockFault(kind string) bool {
	return kind == ClockJumpKind.Name || kind == ClockDriftKind.Name || kind == NodeClockKind.Name
}
