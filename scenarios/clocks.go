package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// clockSlot is the --once-per slot of the clock scenarios that cross
// slots: short enough that a 50 s run spans several, long enough that
// the slot lead (1 s) stays below the faults' offsets.
const clockSlot = 20 * time.Second

// Clocks are the scenarios where a clock is wrong: a server's steps or
// drifts, a node's is off. Each is judged by the slot verdict on true time.
func Clocks() []chaos.Scenario {
	return []chaos.Scenario{
		{Name: "leader-clock-jump", Doc: "An hourly --once-per job while the leader's clock steps an hour ahead, is set right, steps an hour back, is set right: every firing under a wrong clock refuses (81), the job runs once in the true hour.",
			OncePer: time.Hour, Duration: 22 * time.Second, Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{
					{At: 3 * time.Second, For: 5 * time.Second, Fault: faults.JumpClock(faults.Leader, time.Hour)},
					{At: 12 * time.Second, For: 5 * time.Second, Fault: faults.JumpClock(faults.Leader, -time.Hour)},
				}
			}},
		{Name: "clock-jump-back", Doc: "A 20 s --once-per job while the leader's clock steps 45 s back for 25 s (slots it already ran come round again on its clock): no slot runs twice, none is recorded out of its true place.",
			OncePer: clockSlot, Duration: 50 * time.Second, JobLength: 500 * time.Millisecond,
			Faults: once(12*time.Second, 25*time.Second, faults.JumpClock(faults.Leader, -45*time.Second))},
		{Name: "server-clock-drift", Doc: "A 20 s --once-per job while the leader's clock runs 30% fast for 30 s: firings run while the drift is within the bound, refuse beyond it, and the slots stay once each on true time.",
			OncePer: clockSlot, Duration: 50 * time.Second, JobLength: 500 * time.Millisecond,
			Faults: once(5*time.Second, 30*time.Second, faults.DriftClock(faults.Leader, 0.3))},
		{Name: "node-clock-skew", Doc: "A 20 s --once-per job while node1's clock is 30 s ahead, then node2's 30 s behind: the skewed node refuses, the others run each true slot once.",
			OncePer: clockSlot, Duration: 50 * time.Second, JobLength: 500 * time.Millisecond,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{
					{At: 3 * time.Second, For: 18 * time.Second, Fault: &faults.NodeClock{Target: "node1", Offset: 30 * time.Second}},
					{At: 24 * time.Second, For: 18 * time.Second, Fault: &faults.NodeClock{Target: "node2", Offset: -30 * time.Second}},
				}
			}},
	}
}

// UnsafeClock is leader-clock-jump with the clock bound switched off, as
// the wrapper was before it: the slot verdict must see the extra runs.
func UnsafeClock() chaos.Scenario {
	s := Get("leader-clock-jump")
	s.Name, s.Doc = "unsafe-leader-clock-jump", "leader-clock-jump with the clock bound off (--unsafe-trust-ensemble-clock): proves the slot verdict catches the extra runs."
	s.WrapperArgs = []string{"--unsafe-trust-ensemble-clock"}
	s.Expect = checker.Expect{SlotsMustFail: true}
	return s
}
