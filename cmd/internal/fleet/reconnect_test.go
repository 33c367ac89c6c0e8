package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/lock"
)

// A dropped connection is never an internal error: at each step that sends
// a request, the connection is made to drop with that request in flight
// (its answer is lost with the connection), on a real ensemble, and the
// step must carry on once the session is back, as if nothing happened.

// dropAt arms the test hook: the n-th request of step goes out on links
// that close the connection at the next answer; the links heal once the
// wrapper has seen the drop. It returns a func that says whether the drop
// happened.
func dropAt(t *testing.T, hooks *lock.Hooks, node *ensemble.Node, logs *chaostest.Buffer, step string, n int) (dropped func() bool) {
	t.Helper()
	var mu sync.Mutex
	seen, armed := 0, false
	hooks.Step = func(s string) {
		if s != step {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen != n {
			return
		}
		if err := node.LoseReplies(context.Background()); err != nil {
			t.Error(err)
			return
		}
		armed = true
		go func() {
			// The request's answer closes the connection; every reconnect
			// fails the same way until the links heal.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(logs.String(), "connection dropped with a request in flight") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if err := node.Heal(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return armed && strings.Contains(logs.String(), "request="+quoteIfNeeded(step))
	}
}

func quoteIfNeeded(s string) string {
	if strings.ContainsAny(s, " =") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func TestDroppedConnectionIsRiddenThrough(t *testing.T) {
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess})
	node, err := e.Node("lossy")
	if err != nil {
		t.Fatal(err)
	}
	observer := chaostest.Connect(t, e.ClientAddr(1))
	loggers := map[*lock.Session]*slog.Logger{}
	connect := func(t *testing.T, logs *chaostest.Buffer, hooks *lock.Hooks) *lock.Session {
		t.Helper()
		log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s, err := lock.Connect(context.Background(), lock.SessionConfig{
			Servers: strings.Split(node.ConnectString(), ","), SessionTimeout: 4 * time.Second,
			ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond,
			Logger: log, Hooks: hooks,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		loggers[s] = log
		return s
	}
	mutex := func(t *testing.T, s *lock.Session, name string) *lock.Mutex {
		t.Helper()
		m, err := lock.NewMutex(s, lock.MutexConfig{Root: "/dropped", Name: name, Data: []byte("{}"), Logger: loggers[s]})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	holding := func(t *testing.T, s *lock.Session, name string) *held {
		t.Helper()
		m := mutex(t, s, name)
		if err := m.TryLock(context.Background()); err != nil {
			t.Fatal(err)
		}
		return hold(s, m)
	}
	// started holds the lock and enters run-1 in its ledger.
	started := func(t *testing.T, s *lock.Session, name string) (*held, writtenLedger) {
		t.Helper()
		m := holding(t, s, name)
		l, err := m.recordStart(RunEntry{ID: "run-1", Token: m.m.Token(), Start: time.Now()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, l
	}
	// completed ends run-1 with status 0 at end.
	completed := func(end time.Time) func(*RunEntry) {
		exit := 0
		return func(e *RunEntry) { e.Exit = &exit; e.Ending = EndExited; e.End = &end }
	}
	// holdElsewhere queues a contender of another session first, and
	// returns the func that releases it.
	holdElsewhere := func(t *testing.T, name string) func() {
		t.Helper()
		for _, p := range []string{"/dropped", "/dropped/" + name} {
			if _, err := observer.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
				t.Fatal(err)
			}
		}
		other := chaostest.Connect(t, e.ClientAddr(2))
		if _, err := other.Create("/dropped/"+name+"/_c_00000000000000000000000000000000-lock-", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		return other.Close
	}

	// waitBehindAnother queues behind a contender of another session, and
	// takes the lock once that one leaves.
	waitBehindAnother := func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
		release := holdElsewhere(t, name)
		locked := make(chan error, 1)
		go func() { locked <- mutex(t, s, name).Lock(context.Background()) }()
		chaostest.Eventually(t, 15*time.Second, "waiter watching its predecessor", func() bool {
			return strings.Contains(logs.String(), "waiting for predecessor")
		})
		release()
		if err := <-locked; err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		step string
		n    int
		// run takes its steps on s; it must succeed despite the drop.
		run func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string)
	}{
		{"list contenders", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			holding(t, s, name)
		}},
		{"read token", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			if m := mutex(t, s, name); m.TryLock(context.Background()) != nil || m.Token() == 0 {
				t.Fatalf("token %d", m.Token())
			}
		}},
		{"watch predecessor", 1, waitBehindAnother},
		// The waiter's predecessor has gone; its next listing is in flight
		// when the connection drops (what a fleet's waiter met).
		{"list contenders", 2, waitBehindAnother},
		{"read the slot record", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m := holding(t, s, name)
			if _, err := m.lastRun(); err != nil {
				t.Fatal(err)
			}
		}},
		// The ledger's write is applied and its answer lost: made again, it
		// must not enter the run twice.
		{"write the run ledger", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m, _ := started(t, s, name)
			l, _, err := readLedger(observer, m.parent)
			if err != nil || len(l.Runs) != 1 {
				b, _ := json.Marshal(l)
				t.Fatalf("ledger after a start whose answer was lost: %s, %v; want the run once", b, err)
			}
		}},
		{"read the run ledger", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			started(t, s, name)
		}},
		// The run's end, with its slot record, answered into a dropped
		// connection.
		{"write the run ledger", 2, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m, _ := started(t, s, name)
			rec := SlotRecord{Schedule: "1h", Token: m.m.Token()}
			if err := m.recordEnd("run-1", completed(time.Now()), &rec, true, nil, nil); err != nil {
				t.Fatal(err)
			}
		}},
		// The run's end, which frees the lock in the same transaction,
		// answered into a dropped connection: made again, its check on the
		// contender it deleted would fail; the completed entry shows it
		// took effect, once.
		{"write the run ledger", 2, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m, start := started(t, s, name)
			if err := m.recordEnd("run-1", completed(time.Now()), nil, true, &start, m.m.ReleaseOp()); err != nil {
				t.Fatal(err)
			}
			l, _, err := readLedger(observer, m.parent)
			if err != nil || len(l.Runs) != 1 || l.Runs[0].End == nil {
				b, _ := json.Marshal(l)
				t.Fatalf("ledger after an end whose answer was lost: %s, %v; want the run once, completed", b, err)
			}
			if left, _, err := observer.Children(m.parent); err != nil || len(left) != 0 {
				t.Fatalf("contenders after the releasing end: %v, %v; want none", left, err)
			}
		}},
		{"read the pause", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m := holding(t, s, name)
			if _, err := m.pauseOf(); err != nil {
				t.Fatal(err)
			}
		}},
		// The holder's watch for a stop request goes out as the connection
		// drops: made again, it still sees the request.
		{"watch for a stop request", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m := holding(t, s, name)
			quit := make(chan struct{})
			defer close(quit)
			stops := m.watchStop(quit)
			chaostest.Eventually(t, 15*time.Second, "the watch made again", func() bool {
				return strings.Contains(logs.String(), "watch for a stop request")
			})
			for _, p := range []string{recordsPath(m.parent), stopPath(m.parent, m.m.Token())} {
				if _, err := observer.Create(p, []byte(`{"by":"test"}`), 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
					t.Fatal(err)
				}
			}
			select {
			case req := <-stops:
				if req.By != "test" {
					t.Fatalf("stop request %+v", req)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the stop request was not seen after the dropped connection")
			}
		}},
		{"find the slot record", 1, func(t *testing.T, s *lock.Session, logs *chaostest.Buffer, name string) {
			m := holding(t, s, name)
			if _, err := m.slotRecordOp(SlotRecord{Schedule: "1h"}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.step, tc.n), func(t *testing.T) {
			// Now and then a ping's answer is the one the links lose, before
			// the request went out: the request then waits for the heal
			// instead of being in flight, and the step is tried again.
			for attempt := range 3 {
				var logs chaostest.Buffer
				// The hook is armed before the session exists, so that no
				// goroutine of the session reads it while it is written.
				hooks := &lock.Hooks{}
				dropped := dropAt(t, hooks, node, &logs, tc.step, tc.n)
				s := connect(t, &logs, hooks)
				tc.run(t, s, &logs, fmt.Sprintf("%s-%d-%d", strings.ReplaceAll(tc.step, " ", "-"), tc.n, attempt))
				if dropped() {
					return
				}
				t.Logf("attempt %d: the drop did not catch the request in flight; again", attempt)
				hooks.Step = nil
				if err := node.Heal(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			t.Fatal("the connection never dropped with the request in flight: nothing was tested")
		})
	}
}
