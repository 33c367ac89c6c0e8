package chaos

import (
	"context"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// watchLeaders polls who leads the ensemble until stop and returns every
// change, for the report's leader lane.
func watchLeaders(ctx context.Context, e *ensemble.Ensemble, since func() time.Duration, stop <-chan struct{}) []checker.LeaderChange {
	var changes []checker.LeaderChange
	last := -1
	for {
		leader, err := e.Leader(ctx)
		if err != nil {
			leader = 0
		}
		if leader != last {
			changes = append(changes, checker.LeaderChange{At: since(), Leader: leader})
			last = leader
		}
		select {
		case <-stop:
			return changes
		case <-time.After(250 * time.Millisecond):
		}
	}
}
