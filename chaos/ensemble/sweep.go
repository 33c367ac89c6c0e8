package ensemble

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// leftZnodes lists whatever is still under the lock path once every
// wrapper has exited and the sessions of killed ones have had time to
// expire (the "stuck" verdict). Nothing but contenders lives under a lock
// path, whichever recipe wrote them, so every child left is stuck: the
// verdict reads the path without the wrapper's notion of a contender.
func LeftZnodes(ctx context.Context, e *Ensemble, parent string, sessionTimeout time.Duration) []string {
	// Sessions of the run's last wrappers expire only T after a leader
	// serves again: after a late heal (quorum loss) the servers may still
	// be electing one.
	quorumCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err := e.WaitQuorum(quorumCtx)
	cancel()
	if err != nil {
		return []string{"(no quorum to list them: " + err.Error() + ")"}
	}
	conn, _, err := zk.Connect(strings.Split(e.ConnectString(), ","), 4*time.Second, zk.WithLogger(Quiet{}))
	if err != nil {
		return []string{"(cannot connect: " + err.Error() + ")"}
	}
	defer conn.Close()
	deadline := time.Now().Add(sessionTimeout + 5*time.Second)
	for {
		children, _, err := conn.Children(parent)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		left := children
		if err == nil && len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return []string{"(cannot list: " + err.Error() + ")"}
			}
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}
