package ensemble

import (
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

func AwaitSession(events <-chan zk.Event, within time.Duration) error {
	timeout := time.After(within)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no session within %v", within)
		}
	}
}

// quiet keeps go-zookeeper's connection chatter out of the harness's log.
type Quiet struct{}

func (Quiet) Printf(string, ...any) {}
