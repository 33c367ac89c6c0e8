package main

import (
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"
)

// runOnce runs one wrapper on node to completion and returns its exit code.
func runOnce(t *testing.T, w *witness, node string, code int, length time.Duration, args ...string) int {
	t.Helper()
	wr := startWrapper(t, node, []string{w.jobEnv(node, length, code)}, append(args, selfJob()...)...)
	return wr.wait(t, 20*time.Second)
}

func TestOncePerRunsOncePerSlot(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "once-a", 0, 100*time.Millisecond, "--once-per", "1h", "once-ok"); code != 0 {
		t.Fatalf("first run exit %d", code)
	}
	second := startWrapper(t, "once-b", []string{w.jobEnv("once-b", 100*time.Millisecond, 0)}, append([]string{"--once-per", "1h", "once-ok"}, selfJob()...)...)
	if code := second.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("second node exit %d", code)
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d runs in one slot, want 1", n)
	}
	if !strings.Contains(second.stderr.String(), "already ran in this slot") {
		t.Fatalf("skip not logged: %s", second.stderr)
	}
}

func TestOncePerFailedRunIsRetried(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "retry-a", 1, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 1 {
		t.Fatalf("failing run exit %d, want 1", code)
	}
	if code := runOnce(t, w, "retry-b", 0, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 0 {
		t.Fatalf("retry exit %d", code)
	}
	if code := runOnce(t, w, "retry-c", 0, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 0 {
		t.Fatalf("third exit %d", code)
	}
	if n := len(w.Ended()); n != 2 {
		t.Fatalf("%d runs, want 2 (the failed one and its retry)", n)
	}
	c := zkClient(t)
	st, err := lock.Inspect(c, "/zoo-locked", "once-retry")
	if err != nil || st.LastRun == nil || st.LastRun.Host == "" || st.LastRun.Token <= 0 {
		t.Fatalf("last run %+v, %v", st.LastRun, err)
	}
}

// TestOncePerRunBelongsToItsStartSlot: a run that crosses a slot boundary
// counts for the slot it started in, so the next slot runs again.
func TestOncePerRunBelongsToItsStartSlot(t *testing.T) {
	const period = 3 * time.Second
	w := newWitness(t)
	// Start 1 s before a boundary, with a 2 s job.
	_, next := lock.Every{Period: period}.Slot(time.Now())
	if time.Until(next) < 1500*time.Millisecond {
		next = next.Add(period)
	}
	time.Sleep(time.Until(next.Add(-time.Second))) // aligning to the wall-clock slot is the point
	if code := runOnce(t, w, "slot-a", 0, 2*time.Second, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("first exit %d", code)
	}
	if time.Now().After(next.Add(period - 500*time.Millisecond)) {
		t.Fatal("machine too slow for the slot test")
	}
	if code := runOnce(t, w, "slot-b", 0, 100*time.Millisecond, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("second exit %d", code)
	}
	if code := runOnce(t, w, "slot-c", 0, 100*time.Millisecond, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("third exit %d", code)
	}
	if n := len(w.Ended()); n != 2 {
		t.Fatalf("%d runs, want 2: the crossing run (its start slot) and one in the next slot", n)
	}
}
