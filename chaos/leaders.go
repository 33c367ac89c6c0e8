package chaos

import (
	"context"
	"time"
)

// watchLeaders polls who leads the ensemble until stop and returns every
// change, for the report's leader lane.
func watchLeaders(ctx context.Context, e *Ensemble, since func() time.Duration, stop <-chan struct{}) []LeaderChange {
	var changes []LeaderChange
	last := -1
	for {
		leader, err := e.Leader(ctx)
		if err != nil {
			leader = 0
		}
		if leader != last {
			changes = append(changes, LeaderChange{At: since(), Leader: leader})
			last = leader
		}
		select {
		case <-stop:
			return changes
		case <-time.After(250 * time.Millisecond):
		}
	}
}
