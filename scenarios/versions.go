package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// upgradeTo is the version rolling-upgrade moves an ensemble to.
const upgradeTo = "3.9"

// Versions are the scenarios where the ensemble's ZooKeeper changes under
// the fleet.
func Versions() []chaos.Scenario {
	return []chaos.Scenario{
		{Name: "rolling-upgrade", Doc: "Each server of a 3.8 ensemble in turn is stopped and replaced by 3.9 on its data, the next once it has rejoined, while jobs run: no overlap, no stale write accepted, every exit explained.",
			Duration: 40 * time.Second, JobLength: 2 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				var steps []faults.Step
				for i, id := range []int{1, 2, 3} {
					steps = append(steps, faults.Step{At: time.Duration(3+3*i) * time.Second,
						Fault: faults.UpgradeTo(faults.Server(id), upgradeTo)})
				}
				return steps
			}},
	}
}
