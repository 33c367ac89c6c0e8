package chaos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

// TestMovableClocks: a server's clock moves only on an ensemble that asked
// for movable clocks (faketime slows every server's start about 4.5 times,
// so the others must not pay for it), and there it shows in znode stamps.
func TestMovableClocks(t *testing.T) {
	for _, backend := range testBackends() {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			fixed := chaostest.Ensemble(t, chaos.Options{Backend: backend, Servers: 1})
			if err := fixed.SetClock(ctx, 1, time.Hour); !errors.Is(err, chaos.ErrFixedClocks) {
				t.Fatalf("SetClock on fixed clocks: %v, want ErrFixedClocks", err)
			}
			if skew := stampSkew(t, connect(t, fixed.ConnectString(), 4*time.Second)); skew.Abs() > time.Minute {
				t.Fatalf("a fixed clock stamps %v off the true time", skew)
			}

			movable := chaostest.Ensemble(t, chaos.Options{Backend: backend, Servers: 1, MovableClocks: true})
			if err := movable.SetClock(ctx, 1, time.Hour); err != nil {
				t.Fatal(err)
			}
			// faketime re-reads its file each second: the stamps follow
			// within a few writes.
			c := connect(t, movable.ConnectString(), 4*time.Second)
			poll := time.NewTicker(200 * time.Millisecond)
			defer poll.Stop()
			deadline := time.Now().Add(10 * time.Second)
			for range poll.C {
				skew := stampSkew(t, c)
				if skew > 59*time.Minute && skew < 61*time.Minute {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server's stamps are %v off the true time 10 s after a +1h step", skew)
				}
			}
		})
	}
}

// stampSkew writes a znode and returns how far its ctime (the server's
// wall clock) is from this machine's.
func stampSkew(t *testing.T, c *client) time.Duration {
	t.Helper()
	before := time.Now()
	path, err := c.Create("/skew-", nil, zk.FlagSequence|zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	_, stat, err := c.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	return time.UnixMilli(stat.Ctime).Sub(before)
}
