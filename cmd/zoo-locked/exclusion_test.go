package main

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

func TestExclusionFiveContenders(t *testing.T) {
	w := newWitness(t)
	var wrappers []*wrapper
	for i := range 5 {
		node := "excl" + strconv.Itoa(i)
		wrappers = append(wrappers, startWrapper(t, node, []string{w.jobEnv(node, 300*time.Millisecond, 0)}, append([]string{"exclusion"}, selfJob()...)...))
	}
	for _, wr := range wrappers {
		if code := wr.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("wrapper exit %d; stderr:\n%s", code, wr.stderr)
		}
	}
	if got := checker.MostAtOnce(w.Ended()); got != 1 {
		t.Fatalf("S1: %d jobs ran at once", got)
	}
	ivs := w.Ended()
	if len(ivs) != 5 {
		t.Fatalf("%d jobs completed, want 5", len(ivs))
	}
	seen := map[int64]bool{}
	for _, iv := range ivs {
		if iv.Token <= 0 || seen[iv.Token] {
			t.Fatalf("S2: token %d missing or reused: %+v", iv.Token, ivs)
		}
		seen[iv.Token] = true
	}
	assertNoContenders(t, "exclusion")
}

// TestReleaseWakesOneWaiter: L2 with 20 waiters. Each contender is watched
// by exactly one session (its successor) and nobody watches the parent's
// children, so a release notifies exactly one waiter.
func TestReleaseWakesOneWaiter(t *testing.T) {
	w := newWitness(t)
	const waiters = 20
	holder := startWrapper(t, "herd-holder", []string{w.jobEnv("holder", time.Minute, 0)}, append([]string{"--log-level", "debug", "herd"}, selfJob()...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("holder stderr:\n%s", holder.stderr)
		}
	})
	w.nextStart(t, 10*time.Second)
	var queued []*wrapper
	for i := range waiters {
		node := "herd" + strconv.Itoa(i%3)
		queued = append(queued, startWrapper(t, node, []string{w.jobEnv(node, 100*time.Millisecond, 0)}, append([]string{"--log-level", "debug", "herd"}, selfJob()...)...))
	}
	c := zkClient(t)
	t.Cleanup(func() {
		if t.Failed() {
			for _, q := range queued {
				t.Logf("waiter stderr:\n%s", q.stderr)
			}
		}
	})
	eventually(t, 20*time.Second, "all waiters queued", func() bool { return len(contenders(t, c, "herd")) == waiters+1 })
	watchers := map[string]int{}
	eventually(t, 10*time.Second, "every waiter watching", func() bool {
		clear(watchers)
		for _, id := range chaostest.SharedEnsemble(t).IDs() {
			out, err := fourLetter(chaostest.SharedEnsemble(t).ClientAddr(id), "wchp")
			if err != nil {
				t.Fatal(err)
			}
			var current string
			for _, line := range strings.Split(out, "\n") {
				switch {
				case line == "/zoo-locked/herd" || strings.HasPrefix(line, "/zoo-locked/herd/"):
					current = line
				case strings.HasPrefix(line, "/"):
					current = "" // the holder's watch for a stop request, beside the lock
				case strings.HasPrefix(line, "\t0x") && current != "":
					watchers[current]++
				}
			}
		}
		return len(watchers) >= waiters
	})
	if watchers["/zoo-locked/herd"] != 0 {
		t.Fatalf("L2: %d sessions watch the parent's children", watchers["/zoo-locked/herd"])
	}
	for p, k := range watchers {
		if k != 1 {
			t.Fatalf("L2: %s watched by %d sessions, want exactly 1", p, k)
		}
	}
	if len(watchers) != waiters {
		t.Fatalf("L2: %d znodes watched, want one per waiter (%d): %v", len(watchers), waiters, watchers)
	}
	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "all jobs done", func() bool { return len(w.Ended()) == waiters+1 })
	if m := checker.MostAtOnce(w.Ended()); m != 1 {
		t.Fatalf("S1: %d at once", m)
	}
	assertNoContenders(t, "herd")
}

func TestLimitTwoOfSix(t *testing.T) {
	w := newWitness(t)
	w.Unfence()
	var ws []*wrapper
	for i := range 6 {
		node := "limit" + strconv.Itoa(i%3)
		ws = append(ws, startWrapper(t, node, []string{w.jobEnv(node, 500*time.Millisecond, 0)}, append([]string{"--limit", "2", "limit"}, selfJob()...)...))
	}
	for _, wr := range ws {
		if code := wr.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, wr.stderr)
		}
	}
	if m := checker.MostAtOnce(w.Ended()); m != 2 {
		t.Fatalf("%d jobs at once with --limit 2, want 2", m)
	}
	if n := len(w.Ended()); n != 6 {
		t.Fatalf("%d of 6 completed", n)
	}
	assertNoContenders(t, "limit")
}

// TestRecordsLiveBesideTheLockPath: after a run, the lock path holds
// nothing (every recipe sharing it sees only contenders there) and stays,
// so the next run pays no parent create; the ledger and the slot record
// are in its sibling NAME~.
func TestRecordsLiveBesideTheLockPath(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "beside", 0, 100*time.Millisecond, "--once-per", "1h", "beside"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	c := zkClient(t)
	children, _, err := c.Children("/zoo-locked/beside")
	if err != nil || len(children) != 0 {
		t.Fatalf("under the lock path after the run: %v, %v; want nothing", children, err)
	}
	for _, sibling := range []string{"/zoo-locked/beside~/runs", "/zoo-locked/beside~/last-run"} {
		if ok, _, err := c.Exists(sibling); err != nil || !ok {
			t.Fatalf("%s: exists=%v err=%v", sibling, ok, err)
		}
	}
}

// TestOldLayoutMovesBeside: a lock last run by a release that kept its
// records under the lock path still skips a slot that ran, and its first
// run now moves the records out, so that the C recipe, which cannot order
// them, sees only contenders.
func TestOldLayoutMovesBeside(t *testing.T) {
	c := zkClient(t)
	now := time.Now().UTC()
	rec, _ := json.Marshal(fleet.SlotRecord{Host: "old", Pid: 1, Schedule: schedule.Every{Period: time.Hour}.String(),
		SlotStart: now.Truncate(time.Hour), SlotEnd: now.Truncate(time.Hour).Add(time.Hour), Start: now, End: now, Token: 1})
	for _, node := range []struct {
		path string
		data []byte
	}{{"/zoo-locked/upgraded", nil}, {"/zoo-locked/upgraded/runs", []byte(`{"runs":[]}`)}, {"/zoo-locked/upgraded/last-run", rec}} {
		if _, err := c.Create(node.path, node.data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	w := newWitness(t)
	skip := startWrapper(t, "upgraded", []string{w.jobEnv("upgraded", 0, 0)}, append([]string{"--once-per", "1h", "upgraded"}, selfJob()...)...)
	if code := skip.wait(t, 20*time.Second); code != 0 || len(w.Ended()) != 0 {
		t.Fatalf("the old record's slot ran again: exit %d, %d runs\n%s", code, len(w.Ended()), skip.stderr)
	}
	if code := runOnce(t, w, "upgraded", 0, 0, "upgraded"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if children, _, err := c.Children("/zoo-locked/upgraded"); err != nil || len(children) != 0 {
		t.Fatalf("under the lock path after the first run: %v, %v; want nothing", children, err)
	}
	if ok, _, _ := c.Exists("/zoo-locked/upgraded~/runs"); !ok {
		t.Fatal("no ledger beside the lock path")
	}
}
