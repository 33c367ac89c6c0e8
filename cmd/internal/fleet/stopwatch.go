package fleet

import (
	"log/slog"
	"time"
)

// stopwatch times a run's phases for --log-level debug, so that the next
// regression in what a run costs is found from one log line.
type stopwatch struct {
	start, last time.Time
	laps        []any
}

func newStopwatch() *stopwatch {
	now := time.Now()
	return &stopwatch{start: now, last: now}
}

// lap ends the phase called name.
func (w *stopwatch) lap(name string) {
	now := time.Now()
	w.laps = append(w.laps, name, now.Sub(w.last).Round(10*time.Microsecond))
	w.last = now
}

func (w *stopwatch) log(log *slog.Logger, lock string) {
	args := append([]any{"lock", lock, "total", time.Since(w.start).Round(10 * time.Microsecond)}, w.laps...)
	log.Debug("where the run's time went", args...)
}
