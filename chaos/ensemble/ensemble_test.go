package ensemble_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// testBackends are the backends the integration tests must run on; CI has
// both. A backend that cannot run fails the test rather than skipping it.
func testBackends() []string {
	if v := os.Getenv("ZOOLOCKED_TEST_BACKENDS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{ensemble.BackendContainer, ensemble.BackendProcess}
}

// client is a go-zookeeper connection that records every session state it
// passes through, from the synchronous callback (the event channel drops
// events when full).
type client struct {
	*zk.Conn
	mu     sync.Mutex
	states []zk.State
	change chan struct{}
}

func connect(t *testing.T, connectString string, sessionTimeout time.Duration) *client {
	t.Helper()
	c := &client{change: make(chan struct{}, 1)}
	conn, _, err := zk.Connect(strings.Split(connectString, ","), sessionTimeout,
		zk.WithLogger(chaostest.Quiet{}),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type != zk.EventSession {
				return
			}
			c.mu.Lock()
			c.states = append(c.states, ev.State)
			c.mu.Unlock()
			select {
			case c.change <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect %s: %v", connectString, err)
	}
	c.Conn = conn
	t.Cleanup(conn.Close)
	c.waitState(t, zk.StateHasSession, 10*time.Second)
	return c
}

func (c *client) saw(state zk.State) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.states {
		if s == state {
			return true
		}
	}
	return false
}

func (c *client) waitState(t *testing.T, state zk.State, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !c.saw(state) {
		select {
		case <-c.change:
		case <-deadline:
			t.Fatalf("client never reached %v within %v (states %v)", state, within, c.states)
		}
	}
}

func TestEnsemble(t *testing.T) {
	for _, backend := range testBackends() {
		t.Run(backend, func(t *testing.T) { testEnsemble(t, backend) })
	}
}

// testEnsemble runs every check on one ensemble, in order; each check
// leaves the ensemble serving with all servers up for the next.
func testEnsemble(t *testing.T, backend string) {
	e := chaostest.Ensemble(t, ensemble.Options{Backend: backend})
	if e.Backend() != backend {
		t.Fatalf("asked for backend %s, got %s", backend, e.Backend())
	}
	ctx := context.Background()
	restore := func(t *testing.T) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := e.WaitQuorum(wctx); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ElectsOneLeader", func(t *testing.T) {
		modes := e.Modes(ctx)
		leaders, followers := 0, 0
		for _, m := range modes {
			switch m {
			case ensemble.ModeLeader:
				leaders++
			case ensemble.ModeFollower:
				followers++
			}
		}
		if leaders != 1 || followers != 2 {
			t.Fatalf("modes %v: want one leader and two followers", modes)
		}
	})

	t.Run("ClientThroughNodeProxies", func(t *testing.T) {
		node, err := e.Node("node1")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(node.ConnectString(), e.ClientAddr(1)) {
			t.Fatalf("node connect string %s bypasses the proxies", node.ConnectString())
		}
		c := connect(t, node.ConnectString(), 4*time.Second)
		if _, err := c.Create("/through-proxy", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		data, _, err := c.Get("/through-proxy")
		if err != nil || string(data) != "hello" {
			t.Fatalf("get: %q, %v", data, err)
		}
	})

	t.Run("LeaderKillKeepsSession", func(t *testing.T) {
		node, _ := e.Node("node1")
		c := connect(t, node.ConnectString(), 4*time.Second)
		session := c.SessionID()
		leader, err := e.Leader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Kill(ctx, leader); err != nil {
			t.Fatal(err)
		}
		restore(t)
		next, err := e.Leader(ctx)
		if err != nil || next == leader {
			t.Fatalf("after killing leader %d: leader %d, %v", leader, next, err)
		}
		if _, err := c.Create("/after-leader-kill", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("write after leader kill: %v", err)
		}
		if c.SessionID() != session || c.saw(zk.StateExpired) {
			t.Fatalf("session changed or expired: %x -> %x, states %v", session, c.SessionID(), c.states)
		}
		if err := e.Start(ctx, leader); err != nil {
			t.Fatal(err)
		}
		restore(t)
	})

	t.Run("NodeCutExpiresOnlyItsSession", func(t *testing.T) {
		n1, _ := e.Node("node1")
		n2, _ := e.Node("node2")
		cutOff := connect(t, n1.ConnectString(), 2*time.Second)
		bystander := connect(t, n2.ConnectString(), 2*time.Second)
		bystanderSession := bystander.SessionID()
		if _, err := cutOff.Create("/ephemeral-node1", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		_, _, gone, err := bystander.ExistsW("/ephemeral-node1")
		if err != nil {
			t.Fatal(err)
		}
		if err := n1.Cut(ctx); err != nil {
			t.Fatal(err)
		}
		// The ensemble deletes the cut session's ephemeral znode when it
		// expires the session: the watch is the event to wait for.
		select {
		case ev := <-gone:
			if ev.Type != zk.EventNodeDeleted {
				t.Fatalf("watch fired with %v", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("cut session not expired within 10 s")
		}
		if err := n1.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		cutOff.waitState(t, zk.StateExpired, 10*time.Second)
		if bystander.saw(zk.StateExpired) || bystander.SessionID() != bystanderSession {
			t.Fatalf("bystander session disturbed: states %v", bystander.states)
		}
		if _, err := bystander.Create("/bystander-writes", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("bystander write: %v", err)
		}
	})

	t.Run("NodeSlowAddsLatency", func(t *testing.T) {
		node, _ := e.Node("node3")
		c := connect(t, node.ConnectString(), 4*time.Second)
		if err := node.Slow(ctx, 150*time.Millisecond, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		if _, _, err := c.Get("/"); err != nil {
			t.Fatal(err)
		}
		// A round trip crosses the link twice.
		if rtt := time.Since(started); rtt < 250*time.Millisecond {
			t.Fatalf("round trip %v through a 150 ms link", rtt)
		}
		if err := node.Heal(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PauseAndUnpause", func(t *testing.T) {
		leader, err := e.Leader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		follower := leader%3 + 1
		if err := e.Pause(ctx, follower); err != nil {
			t.Fatal(err)
		}
		if m := ensemble.ServerMode(ctx, e.ClientAddr(follower)); m != ensemble.ModeDown {
			t.Fatalf("paused server answers srvr: %v", m)
		}
		c := connect(t, e.ClientAddr(leader), 4*time.Second)
		if _, err := c.Create("/while-paused", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("write with a follower paused: %v", err)
		}
		if err := e.Unpause(ctx, follower); err != nil {
			t.Fatal(err)
		}
		restore(t)
	})

	t.Run("IsolatedLeaderIsReplaced", func(t *testing.T) {
		leader, err := e.Leader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if backend == ensemble.BackendProcess {
			// Documented limit: the cut must be refused, not half-work.
			if err := e.CutPeers(ctx, leader); err == nil {
				t.Fatal("process backend accepted a peer cut that ZooKeeper would bypass")
			}
			return
		}
		if err := e.CutPeers(ctx, leader); err != nil {
			t.Fatal(err)
		}
		healed := false
		defer func() {
			if !healed {
				_ = e.HealPeers(ctx, leader) // keep later checks meaningful; this one already failed
			}
		}()
		chaostest.Eventually(t, 60*time.Second, fmt.Sprintf("a new leader among the others than %d", leader), func() bool {
			modes := e.Modes(ctx)
			if modes[leader] == ensemble.ModeLeader {
				return false
			}
			for id, m := range modes {
				if id != leader && m == ensemble.ModeLeader {
					return true
				}
			}
			return false
		})
		healed = true
		if err := e.HealPeers(ctx, leader); err != nil {
			t.Fatal(err)
		}
		restore(t)
	})

	t.Run("QuorumLossStopsWritesUntilRecovery", func(t *testing.T) {
		leader, err := e.Leader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		survivor := leader%3 + 1
		var stopped []int
		for _, id := range e.IDs() {
			if id != survivor {
				if err := e.Stop(ctx, id); err != nil {
					t.Fatal(err)
				}
				stopped = append(stopped, id)
			}
		}
		chaostest.Eventually(t, 10*time.Second, "survivor stops serving", func() bool {
			return ensemble.ServerMode(ctx, e.ClientAddr(survivor)) == ensemble.ModeDown
		})
		write := make(chan error, 1)
		c := zkConnectNoWait(t, e.ClientAddr(survivor))
		go func() {
			_, err := c.Create("/during-quorum-loss", nil, 0, zk.WorldACL(zk.PermAll))
			write <- err
		}()
		select {
		case err := <-write:
			if err == nil {
				t.Fatal("write succeeded without a quorum")
			}
		case <-time.After(3 * time.Second):
			// Still blocked: no server accepted it, which is the point.
		}
		for _, id := range stopped {
			if err := e.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		restore(t)
		after := connect(t, e.ClientAddr(survivor), 4*time.Second)
		if _, err := after.Create("/after-quorum-back", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatalf("write after recovery: %v", err)
		}
	})
}

// zkConnectNoWait connects without waiting for a session (there may be none).
func zkConnectNoWait(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	conn, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogger(chaostest.Quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}
