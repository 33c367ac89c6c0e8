package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

// TestFenceBeforeExpiry: a holder cut from the ensemble kills its job
// before the waiter on another node is granted the lock.
func TestFenceBeforeExpiry(t *testing.T) {
	w := newWitness(t)
	ctx := context.Background()
	holder := startWrapper(t, "fence-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"fence"}, selfJob()...)...)
	first := w.nextStart(t, 10*time.Second)
	waiter := startWrapper(t, "fence-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"fence"}, selfJob()...)...)
	c := zkClient(t)
	eventually(t, 10*time.Second, "waiter queued", func() bool { return len(contenders(t, c, "fence")) == 2 })
	nodeA, _ := chaostest.SharedEnsemble(t).Node("fence-a")
	if err := nodeA.Cut(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodeA.Heal(ctx) })
	second := w.nextStart(t, 3*testSession)
	if second.Node != "b" || first.Node != "a" {
		t.Fatalf("unexpected order: %+v then %+v", first, second)
	}
	if code := holder.wait(t, 5*time.Second); code != 79 {
		t.Fatalf("cut holder exit %d, want 79; stderr:\n%s", code, holder.stderr)
	}
	aEnd := w.endOf("a")
	if aEnd == 0 || aEnd >= second.Start {
		t.Fatalf("S1: holder's job ended %v, waiter's started %v", aEnd, second.Start)
	}
	t.Logf("holder's job died %v before the waiter's started", second.Start-aEnd)
	if second.Token <= first.Token {
		t.Fatalf("S2: token %d after %d", second.Token, first.Token)
	}
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d; stderr:\n%s", code, waiter.stderr)
	}
	assertNoContenders(t, "fence")
}

// TestShortBlipRidesThrough: L3, a cut shorter than the fence deadline.
func TestShortBlipRidesThrough(t *testing.T) {
	w := newWitness(t)
	ctx := context.Background()
	holder := startWrapper(t, "blip", []string{w.jobEnv("a", 3*time.Second, 0)}, append([]string{"blip"}, selfJob()...)...)
	w.nextStart(t, 10*time.Second)
	node, _ := chaostest.SharedEnsemble(t).Node("blip")
	if err := node.Cut(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the fault's length is the point of the test
	if err := node.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if code := holder.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("L3: exit %d after a 1 s blip; stderr:\n%s", code, holder.stderr)
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d intervals, want 1", n)
	}
	assertNoContenders(t, "blip")
}

// TestResumedPastDeadlineKillsFirst: a wrapper frozen past its fence
// deadline kills its job as soon as it runs again, before anything else,
// and exits with the lock-lost code.
func TestResumedPastDeadlineKillsFirst(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "pause-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"pause"}, selfJob()...)...)
	w.nextStart(t, 10*time.Second)
	waiter := startWrapper(t, "pause-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"pause"}, selfJob()...)...)
	if err := holder.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The session expires while the wrapper is frozen: the waiter gets the
	// lock (S1 cannot hold across a pause; S2 does).
	second := w.nextStart(t, 3*testSession)
	if err := holder.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := w.Since()
	if code := holder.wait(t, 5*time.Second); code != 79 {
		t.Fatalf("resumed holder exit %d, want 79; stderr:\n%s", code, holder.stderr)
	}
	aEnd := w.endOf("a")
	if aEnd == 0 || aEnd-resumed > testKillGrace+500*time.Millisecond {
		t.Fatalf("holder's job ended %v after resume", aEnd-resumed)
	}
	if second.Node != "b" {
		t.Fatalf("second holder %+v", second)
	}
	waiter.wait(t, 10*time.Second)
	assertNoContenders(t, "pause")
}

// TestVanishedZnodeKillsAtOnce: when the holder's znode is deleted under
// it (an operator, a bug), the lock is already free for others, so the
// heartbeat's next look SIGKILLs the job without the grace period.
func TestVanishedZnodeKillsAtOnce(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "vanish", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"--kill-grace", "1500ms", "vanish"}, selfJob()...)...)
	w.nextStart(t, 10*time.Second)
	c := zkClient(t)
	names := contenders(t, c, "vanish")
	if len(names) != 1 {
		t.Fatalf("contenders %v", names)
	}
	if err := c.Delete("/zoo-locked/vanish/"+names[0], -1); err != nil {
		t.Fatal(err)
	}
	deleted := w.Since()
	// The heartbeat looks every T/6; a kill at once needs no grace.
	bound := testSession/6 + 500*time.Millisecond
	if code := holder.wait(t, testSession); code != 79 {
		t.Fatalf("holder whose znode vanished: exit %d, want 79; stderr:\n%s", code, holder.stderr)
	}
	if end := w.endOf("a"); end == 0 || end-deleted > bound {
		t.Fatalf("the job died %v after its znode vanished, want within %v (no grace: the lock is already free)", end-deleted, bound)
	}
	if !strings.Contains(holder.stderr.String(), "vanished") {
		t.Fatalf("the wrapper did not say why:\n%s", holder.stderr)
	}
}
