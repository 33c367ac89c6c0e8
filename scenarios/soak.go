package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// Soak is the long run users start with make soak, outside the catalogue
// make test runs: five nodes for an hour, jobs of minutes as a fleet's
// maintenance jobs are, waiters that wait as long, random faults sized for
// ZooKeeper's production timing, which it runs under.
func Soak() chaos.Scenario {
	s := chaos.Scenario{Name: "soak", Doc: "Five nodes, an hour, 2-minute jobs and random faults under production timing (tickTime 2 s, 10 s sessions): every exit explained, stale writes refused.",
		Nodes: 5, Duration: time.Hour, JobLength: 2 * time.Minute, Grandchild: true, WaitTimeout: 30 * time.Minute,
		Faults: soakFaults, Expect: checker.Expect{S1MayFail: true}}
	return s.WithTiming(chaos.ProductionTiming)
}

// soakFaults draws faults from the whole catalogue, sized for production
// timing: from a blip of a second to half a minute, a quiet spell of up
// to a minute between them.
func soakFaults(rng *rand.Rand, duration time.Duration) []faults.Step {
	return drawFaults(rng, duration, pacing{margin: 30 * time.Second, length: [2]time.Duration{time.Second, 31 * time.Second},
		gap: [2]time.Duration{10 * time.Second, time.Minute}, afterHolderLoss: chaos.ProductionTiming.SessionTimeout + 15*time.Second})
}
