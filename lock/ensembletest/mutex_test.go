package ensembletest

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/lock"
)

// TestLostCreateReply: the contender's create reaches the server but its
// reply is lost with the connection. The contender must be found again by
// its guid and hold the lock; creating it again would queue us behind a
// twin of our own, which never leaves.
func TestLostCreateReply(t *testing.T) {
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := e.Node("lossy")
	if err != nil {
		t.Fatal(err)
	}
	var logs chaostest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := lock.Connect(ctx, lock.SessionConfig{
		Servers: strings.Split(node.ConnectString(), ","), SessionTimeout: 4 * time.Second,
		ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	observer := chaostest.Connect(t, e.ClientAddr(1))
	// Now and then (about 1 in 20) a heartbeat's reply is the one lost and
	// the create goes out only after the heal: the fault is then injected
	// again, under a fresh name.
	for attempt := range 3 {
		name := fmt.Sprintf("lost-reply-%d", attempt)
		if lostCreateReply(t, ctx, s, node, observer, name, &logs) {
			return
		}
		t.Logf("attempt %d: the create's reply got through; injecting again", attempt)
	}
	t.Fatalf("no create reply was lost in 3 attempts, so nothing was tested:\n%s", logs.String())
}

// lostCreateReply contends for name while the node loses replies; it
// returns false when the create's reply got through after all.
func lostCreateReply(t *testing.T, ctx context.Context, s *lock.Session, node *ensemble.Node, observer *zk.Conn, name string, logs *chaostest.Buffer) bool {
	t.Helper()
	parent := "/zoo-locked/" + name
	// The parents exist, as in steady state: the one lost reply is then
	// the contender's own.
	for _, p := range []string{"/zoo-locked", parent} {
		if _, err := observer.CreateContainer(p, nil, zk.FlagContainer, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			t.Fatal(err)
		}
	}
	m, err := lock.NewMutex(s, lock.MutexConfig{Root: "/zoo-locked", Name: name, Data: []byte("{}"),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.LoseReplies(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() { locked <- m.Lock(ctx) }()
	contenders := awaitChildren(t, observer, parent, 1)
	if err := node.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("lock after a lost create reply: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "found our contender after a lost reply") {
		return false
	}
	children, _, err := observer.Children(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 || children[0] != contenders[0] || path.Base(m.Node()) != contenders[0] {
		t.Fatalf("contenders %v, ours %s: want exactly the one whose reply was lost (%s)", children, m.Node(), contenders[0])
	}
	return true
}

// awaitChildren waits, on watches, until znode has n children.
func awaitChildren(t *testing.T, conn *zk.Conn, znode string, n int) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		exists, _, existsEvents, err := conn.ExistsW(znode)
		if err != nil {
			t.Fatal(err)
		}
		if exists {
			children, _, childEvents, err := conn.ChildrenW(znode)
			if err == nil && len(children) == n {
				return children
			}
			if err == nil {
				existsEvents = childEvents
			}
		}
		select {
		case <-existsEvents:
		case <-deadline:
			t.Fatalf("%s never had %d children", znode, n)
		}
	}
}

// TestReleaseOpFreesTheLockWithTheCallersWrite: a holder that releases in
// a transaction of its own writes frees the lock the moment they commit —
// the waiter is granted while the holder's session lives on — and its
// session stops guarding the lock, so the contender's deletion is not
// taken for a lost lock.
func TestReleaseOpFreesTheLockWithTheCallersWrite(t *testing.T) {
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func() *lock.Session {
		s, err := lock.Connect(ctx, lock.SessionConfig{
			Servers: strings.Split(e.ConnectString(), ","), SessionTimeout: 4 * time.Second,
			ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	holder, waiter := connect(), connect()
	mutex := func(s *lock.Session) *lock.Mutex {
		m, err := lock.NewMutex(s, lock.MutexConfig{Root: "/release", Name: "with-write"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	held := mutex(holder)
	if err := held.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	granted := make(chan error, 1)
	go func() { granted <- mutex(waiter).Lock(ctx) }()
	awaitChildren(t, chaostest.Connect(t, e.ConnectString()), "/release/with-write", 2)

	if _, err := holder.Conn().Multi(&zk.CreateRequest{Path: "/release/done", Data: []byte("run 1"), Acl: zk.WorldACL(zk.PermAll)}, held.ReleaseOp()); err != nil {
		t.Fatal(err)
	}
	if err := <-granted; err != nil {
		t.Fatalf("the waiter after the releasing transaction: %v", err)
	}
	// The guard's heartbeat comes every T/6: two of them would have seen
	// the contender gone, were the guard still on.
	select {
	case <-holder.Done():
		t.Fatalf("the holder's session took its own release for a lost lock: %v", holder.Err())
	case <-time.After(2 * holder.Timeout() / 6):
	}
}
