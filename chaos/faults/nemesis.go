package faults

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Step schedules a fault at At (from the start of the trial) for For.
type Step struct {
	At    time.Duration
	For   time.Duration
	Fault Fault
}

// A drawn schedule runs its steps one after another (nemesisRun.inTurn),
// and a step that ran late delays every later one as much: its spacing is
// its point. A plan runs each step at its own offset (nemesisRun.atOffsets),
// overlapping others as the plan says: an incident ("the leader died at
// :03, node2 lost its link at :05") is faults at times, not a queue. Both
// deliver the fault windows once every fault has healed.

// atOffsets runs every step at its own offset.
func (n NemesisRun) AtOffsets(steps []Step) <-chan []FaultWindow {
	out := make(chan []FaultWindow, 1)
	go func() {
		windows := make([]FaultWindow, len(steps))
		var wg sync.WaitGroup
		for i, s := range steps {
			wg.Go(func() { windows[i] = n.step(s, 0) })
		}
		wg.Wait()
		slices.SortStableFunc(windows, func(a, b FaultWindow) int { return int(a.InjectionBegan - b.InjectionBegan) })
		out <- windows
	}()
	return out
}

// inTurn runs the steps one after another. A step that ran late (a holder
// fault waits for a holder) delays every later one as much, so the
// spacing the schedule promises — T+1.5s free after a holder loss for L1 —
// holds between the faults as injected.
func (n NemesisRun) InTurn(steps []Step) <-chan []FaultWindow {
	out := make(chan []FaultWindow, 1)
	go func() {
		var windows []FaultWindow
		var lag time.Duration
		for _, s := range steps {
			fw := n.step(s, lag)
			lag = max(lag, fw.InEffect-s.At)
			windows = append(windows, fw)
		}
		out <- windows
	}()
	return out
}

// nemesisRun is what a fault schedule acts with: the stage, the trial's
// clock, and fenceAfter, how long the run's wrappers ride through silence
// (for HolderLoser faults).
type NemesisRun struct {
	Ctx        context.Context
	On         Stage
	Since      func() time.Duration
	Log        *slog.Logger
	FenceAfter time.Duration
}

// step waits for the step's offset (plus lag), injects its fault, holds
// it for its length, heals it, and returns its window.
func (n NemesisRun) step(s Step, lag time.Duration) FaultWindow {
	if wait := s.At + lag - n.Since(); wait > 0 {
		select {
		case <-time.After(wait):
		case <-n.Ctx.Done():
		}
	}
	spec := s.Fault.Spec()
	fw := FaultWindow{Name: s.Fault.Name(), Kind: spec.Kind, Spec: spec, Planned: s.For, InjectionBegan: n.Since()}
	if l, ok := s.Fault.(HolderLoser); ok {
		fw.HolderLoss = l.LosesHolder(s.For, n.FenceAfter)
	}
	err := s.Fault.Start(n.Ctx, n.On)
	fw.InEffect = n.Since()
	if t, ok := s.Fault.(Landed); ok {
		fw.Target = t.LandedOn()
	}
	if err != nil {
		fw.Error = err.Error()
		n.Log.Warn("fault not injected", "fault", fw.Name, "err", err)
	} else {
		n.Log.Info("fault", "fault", fw.Name, "target", fw.Target, "at", fw.InEffect.Round(time.Millisecond))
		select {
		case <-time.After(s.For):
		case <-n.Ctx.Done():
		}
		if err := s.Fault.Heal(context.WithoutCancel(n.Ctx), n.On); err != nil {
			fw.Error = "heal: " + err.Error()
			n.Log.Warn("heal failed", "fault", fw.Name, "err", err)
		}
	}
	fw.End = n.Since()
	n.Log.Info("healed", "fault", fw.Name, "at", fw.End.Round(time.Millisecond))
	return fw
}
