package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
)

// upgradeTo is the version rolling-upgrade moves an ensemble to.
const upgradeTo = "3.9"

// Versions are the scenarios where the ensemble's ZooKeeper changes under
// the fleet.
func Versions() []chaos.Scenario {
	return []chaos.Scenario{
		{Name: "rolling-upgrade", Doc: "Each server of a 3.8 ensemble in turn is stopped and replaced by 3.9 on its data, the next once it has rejoined, while jobs run: no overlap, no stale write accepted, every exit explained.",
			Duration: 40 * time.Second, JobLength: 2 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []chaos.Step {
				var steps []chaos.Step
				for i, id := range []int{1, 2, 3} {
					steps = append(steps, chaos.Step{At: time.Duration(3+3*i) * time.Second,
						Fault: chaos.UpgradeTo(chaos.Server(id), upgradeTo)})
				}
				return steps
			}},
	}
}
