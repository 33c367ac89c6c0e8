package scenarios

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// BenchmarkRideThrough is the table "Choosing --session-timeout" in the
// README: under ZooKeeper's production tickTime (2 s), a holder runs a
// 60 s job while one event strikes 15 s in, at the wrapper's default
// session timeout (10 s) and at 30 s. "fenced" is 1 when the event cost the
// job its lock (exit 79), 0 when the job rode through; "takeover-s" is how
// long the next holder waited after a fence (what a longer timeout costs
// after a real crash). Each case is one trial on a fresh ensemble.
func BenchmarkRideThrough(b *testing.B) {
	events := []struct {
		name string
		step faults.Step
	}{
		{"leader-killed-and-restarted", faults.Step{For: 5 * time.Second, Fault: faults.Kill(faults.Leader)}},
		{"leader-frozen-5s", faults.Step{For: 5 * time.Second, Fault: faults.Pause(faults.Leader)}},
		{"leader-frozen-15s", faults.Step{For: 15 * time.Second, Fault: faults.Pause(faults.Leader)}},
		{"follower-restarted", faults.Step{Fault: faults.Restart(faults.Follower)}},
		{"blip-1s-to-holder", faults.Step{For: time.Second, Fault: &faults.PartitionNode{Target: faults.Holder}}},
		{"blip-5s-to-holder", faults.Step{For: 5 * time.Second, Fault: &faults.PartitionNode{Target: faults.Holder}}},
	}
	for _, timeout := range []time.Duration{chaos.ProductionTiming.SessionTimeout, 30 * time.Second} {
		for _, ev := range events {
			b.Run(fmt.Sprintf("T=%v/%s", timeout, ev.name), func(b *testing.B) {
				timing := chaos.ProductionTiming
				timing.SessionTimeout = timeout
				step := ev.step
				step.At = 15 * time.Second
				sc := chaos.Scenario{Name: "ride-through", Nodes: 2, Duration: 20 * time.Second, JobLength: 60 * time.Second,
					WaitTimeout: 5 * time.Minute, Faults: func(*rand.Rand, time.Duration) []faults.Step { return []faults.Step{step} }}
				// One trial a cell, whatever -benchtime says: each takes two
				// minutes, and the outcome is a yes or a no.
				fenced, takeover := rideThrough(b, sc, timing)
				b.ReportMetric(fenced, "fenced")
				b.ReportMetric(takeover.Seconds(), "takeover-s")
			})
		}
	}
}

// rideThrough runs one trial and says whether a job was fenced, and the
// takeover that followed.
func rideThrough(b *testing.B, sc chaos.Scenario, timing chaos.Timing) (fenced float64, takeover time.Duration) {
	zooLocked, job := chaostest.Binaries(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := chaos.Execute(ctx, sc, chaos.TrialConfig{Seed: 1, ZooLocked: zooLocked, Job: job, Timing: &timing,
		Backend: ensemble.BackendProcess, Logger: slog.New(slog.NewTextHandler(chaostest.Log(b), nil))})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range h.Firings {
		if f.Exit == exitcode.LockLost {
			fenced = 1
		}
	}
	rep := checker.Check(h, sc.Expect)
	return fenced, rep.WorstTakeover
}
