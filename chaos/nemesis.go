package chaos

import (
	"context"
	"log/slog"
	"time"
)

// Step schedules a fault at At (from the start of the trial) for For.
type Step struct {
	At    time.Duration
	For   time.Duration
	Fault Fault
}

// nemesis runs the schedule on stage and delivers the fault windows once
// every fault has healed. fenceAfter is how long the run's wrappers ride
// through silence, for HolderLoser faults. With keepSpacing, a step that
// ran late delays every later one as much (a drawn schedule's spacing is
// its point); without it, each step begins at its offset, or as soon as
// the step before has healed (a plan's offsets are its point).
func nemesis(ctx context.Context, on Stage, steps []Step, since func() time.Duration, log *slog.Logger, fenceAfter time.Duration, keepSpacing bool) <-chan []FaultWindow {
	out := make(chan []FaultWindow, 1)
	go func() {
		var windows []FaultWindow
		// A step that ran late (a holder fault waits for a holder) delays
		// every later one as much, so the spacing the schedule promises —
		// T+1.5s free after a holder loss for L1 — holds between the faults
		// as injected.
		var lag time.Duration
		for _, s := range steps {
			if wait := s.At + lag - since(); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
			spec := s.Fault.Spec()
			fw := FaultWindow{Name: s.Fault.Name(), Kind: spec.Kind, Spec: spec, Planned: s.For, Began: since()}
			if l, ok := s.Fault.(HolderLoser); ok {
				fw.HolderLoss = l.LosesHolder(s.For, fenceAfter)
			}
			err := s.Fault.Start(ctx, on)
			fw.Start = since()
			if keepSpacing {
				lag = max(lag, fw.Start-s.At)
			}
			if t, ok := s.Fault.(Hitter); ok {
				fw.Target = t.Hit()
			}
			if err != nil {
				fw.Error = err.Error()
				log.Warn("fault not injected", "fault", fw.Name, "err", err)
			} else {
				log.Info("fault", "fault", fw.Name, "target", fw.Target, "at", fw.Start.Round(time.Millisecond))
				select {
				case <-time.After(s.For):
				case <-ctx.Done():
				}
				if err := s.Fault.Heal(context.WithoutCancel(ctx), on); err != nil {
					fw.Error = "heal: " + err.Error()
					log.Warn("heal failed", "fault", fw.Name, "err", err)
				}
			}
			fw.End = since()
			log.Info("healed", "fault", fw.Name, "at", fw.End.Round(time.Millisecond))
			windows = append(windows, fw)
		}
		out <- windows
	}()
	return out
}
