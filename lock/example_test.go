package lock_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"
)

// exampleServers is where Example connects; TestExampleOnRealEnsemble
// points it at a real ensemble.
var exampleServers = []string{"zk1:2181", "zk2:2181", "zk3:2181"}

// A fenced lock in a Go program: the work stops as soon as the lock can
// no longer be trusted, 2 s (the grace) before anyone else can take it.
func Example() {
	ctx := context.Background()
	s, err := lock.Connect(ctx, lock.SessionConfig{Servers: exampleServers,
		SessionTimeout: 10 * time.Second, ConnectTimeout: 10 * time.Second, KillGrace: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	m, err := lock.NewMutex(s, lock.MutexConfig{Root: "/locks", Name: "invoices"})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock()
	work, stop := context.WithCancel(ctx)
	defer stop()
	go func() { <-m.Done(); stop() }() // the fence: m.Err() says why
	fmt.Printf("holding invoices with fencing token %d\n", m.Token())
	_ = work // pass it, and the token, to what writes under the lock
}

func TestExampleOnRealEnsemble(t *testing.T) {
	addr := standalone(t)
	exampleServers = []string{addr}
	Example()
	observer := observe(t, addr)
	if children, _, err := observer.Children("/locks/invoices"); err != nil || len(children) != 0 {
		t.Fatalf("after Unlock: %v, %v; want the lock path empty", children, err)
	}
}

// TestGuardedFromTheGrant: a library caller's lock fences itself: when its
// znode vanishes, Done closes with ErrLockGone; Unlock stops the guard.
func TestGuardedFromTheGrant(t *testing.T) {
	addr := standalone(t)
	ctx := context.Background()
	connect := func() *lock.Session {
		s, err := lock.Connect(ctx, lock.SessionConfig{Servers: []string{addr},
			SessionTimeout: 4 * time.Second, ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	s := connect()
	m, err := lock.NewMutex(s, lock.MutexConfig{Root: "/locks", Name: "guarded"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.TryLock(ctx); err != nil {
		t.Fatal(err)
	}
	other := connect()
	busy, _ := lock.NewMutex(other, lock.MutexConfig{Root: "/locks", Name: "guarded"})
	if err := busy.TryLock(ctx); err == nil {
		t.Fatal("a second contender got the held lock")
	}
	observer := observe(t, addr)
	if err := observer.Delete(m.Node(), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
		if !strings.Contains(m.Err().Error(), "vanished") {
			t.Fatalf("lost for %v, want the vanished znode", m.Err())
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the session did not notice its lock znode vanish")
	}

	s2 := connect()
	m2, _ := lock.NewMutex(s2, lock.MutexConfig{Root: "/locks", Name: "guarded"})
	if err := m2.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m2.Unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s2.Done():
		t.Fatalf("Unlock left the guard running: %v", s2.Err())
	case <-time.After(2 * time.Second): // two heartbeats: the guard would have seen the znode gone
	}
}
