package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/lock"
)

// runs reads a lock's ledger as status --json shows it.
func runs(t *testing.T, name string) []fleet.RunEntry {
	t.Helper()
	return statusOf(t, name).Runs
}

// TestLedgerRecordsEveryRun: a success, a failure, a run stopped by
// --max-runtime, and a run whose wrapper was SIGKILLed each leave their
// entry, the last one "lost" once its session is gone; a firing that does
// not run leaves none; status shows the runs, newest first.
func TestLedgerRecordsEveryRun(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "ledger-a", 0, 100*time.Millisecond, "ledger"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if code := runOnce(t, w, "ledger-b", 3, 100*time.Millisecond, "ledger"); code != 3 {
		t.Fatalf("exit %d", code)
	}
	if code := runOnce(t, w, "ledger-a", 0, time.Minute, "--max-runtime", "300ms", "ledger"); code != 143 {
		t.Fatalf("max-runtime exit %d", code)
	}
	crash := startWrapper(t, "ledger-c", []string{w.jobEnv("ledger-c", time.Minute, 0)}, append([]string{"ledger"}, selfJob()...)...)
	if _, err := w.AwaitStart(4, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Busy while the crashing run holds the lock: once it is killed, its
	// keeper frees the lock at once, and a later firing would run.
	busy := startWrapper(t, "ledger-d", nil, "--no-wait", "ledger", "--", "true")
	if code := busy.wait(t, 10*time.Second); code != 75 {
		t.Fatalf("the --no-wait firing beside a holder: exit %d, want 75 (busy)", code)
	}
	crashed := crash.cmd.Process.Pid
	if err := crash.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	var got []fleet.RunEntry
	eventually(t, testSession+3*time.Second, "the crashed run reads as lost once its session is gone", func() bool {
		got = runs(t, "ledger")
		return len(got) == 4 && got[3].State == "lost"
	})
	want := []struct {
		state  string
		exit   int
		ending string
	}{{"ok", 0, fleet.EndExited}, {"failed", 3, fleet.EndExited}, {"stopped", 143, fleet.EndMaxRuntime}}
	for i, wt := range want {
		e := got[i]
		if e.State != wt.state || e.Exit == nil || *e.Exit != wt.exit || e.Ending != wt.ending || e.End == nil || e.Token <= 0 || e.Host == "" || e.ID != fleet.RunID("ledger", e.Token) {
			t.Fatalf("run %d: %+v, want %s exit %d (%s)", i, e, wt.state, wt.exit, wt.ending)
		}
	}
	if got[3].End != nil || got[3].Pid != crashed {
		t.Fatalf("crashed run %+v: want the open entry of the crashed wrapper (pid %d)", got[3], crashed)
	}
	out, _ := inspectCmd(t, "status", "ledger")
	if strings.Index(out, "lost") > strings.Index(out, "ok ") || !strings.Contains(out, "exit=3") {
		t.Fatalf("status does not show the runs newest first:\n%s", out)
	}
}

// TestLedgerIsBounded: the ledger keeps the last 20 runs.
func TestLedgerIsBounded(t *testing.T) {
	for i := range fleet.LedgerSize + 2 {
		wr := startWrapper(t, "bounded", nil, "bounded", "--", "true")
		if code := wr.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("run %d: exit %d", i, code)
		}
	}
	got := runs(t, "bounded")
	if len(got) != fleet.LedgerSize {
		t.Fatalf("%d runs kept, want %d", len(got), fleet.LedgerSize)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Token <= got[i-1].Token {
			t.Fatalf("runs out of order: %d then %d", got[i-1].Token, got[i].Token)
		}
	}
}

// TestWritesPerFiring: a firing that runs the job costs the ensemble at
// most 2 quorum writes beyond the floor (session, contender, close): its
// ledger entry, and its completion folded with the slot record; a firing
// that skips costs the floor and nothing more.
func TestWritesPerFiring(t *testing.T) {
	e := chaostest.SharedEnsemble(t)
	zxid := func() int64 {
		z, _ := ensembleCounters(t, e)
		return z
	}
	// Warm the lock (its parent, record and ledger exist from then on).
	warm := startWrapper(t, "writes", nil, "--once-per", "1h", "writes", "--", "true")
	warm.wait(t, 10*time.Second)
	before := zxid()
	other := startWrapper(t, "writes", nil, "--once-per", "2h", "writes", "--", "true") // another schedule: runs
	if code := other.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	ran := zxid() - before
	before = zxid()
	skip := startWrapper(t, "writes", nil, "--once-per", "2h", "writes", "--", "true")
	if code := skip.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	skipped := zxid() - before
	t.Logf("writes: %d for a run, %d for a skip", ran, skipped)
	if ran > 5 || skipped > 3 {
		t.Fatalf("a run cost %d quorum writes (at most 3 + 2), a skip %d (at most 3)", ran, skipped)
	}
}

// TestBusyNoWaitCostsTheFloor: a --no-wait firing that finds the lock held
// costs session, contender and close — closing deletes the contender, so
// no delete is sent first.
func TestBusyNoWaitCostsTheFloor(t *testing.T) {
	e := chaostest.SharedEnsemble(t)
	holder := startWrapper(t, "nowait-holder", nil, "nowait-floor", "--", "sleep", "30")
	c := zkClient(t)
	// The holder's own writes (its ledger entry) are done before counting.
	eventually(t, 10*time.Second, "holder running", func() bool {
		return len(contenders(t, c, "nowait-floor")) == 1 && len(runs(t, "nowait-floor")) == 1
	})
	before, _ := ensembleCounters(t, e)
	busy := startWrapper(t, "nowait-busy", nil, "--no-wait", "nowait-floor", "--", "true")
	if code := busy.wait(t, 10*time.Second); code != 75 {
		t.Fatalf("exit %d, want 75", code)
	}
	after, _ := ensembleCounters(t, e)
	if writes := after - before; writes > 3 {
		t.Fatalf("a busy --no-wait firing cost %d quorum writes, want at most 3 (session, contender, close)", writes)
	}
	_ = holder
}

// TestWaiterSendsOnlyPings: a waiting wrapper has no job to fence, so it
// sends nothing but the client's own pings until it is granted the lock;
// the heartbeat (every T/6) starts with the grant.
func TestWaiterSendsOnlyPings(t *testing.T) {
	e := chaostest.SharedEnsemble(t)
	startWrapper(t, "quiet-holder", nil, "quiet-waiter", "--", "sleep", "30")
	c := zkClient(t)
	eventually(t, 10*time.Second, "holder", func() bool { return len(contenders(t, c, "quiet-waiter")) == 1 })
	startWrapper(t, "quiet-waiter", nil, "quiet-waiter", "--", "true")
	var queue []string
	eventually(t, 10*time.Second, "waiter queued", func() bool { queue = contenders(t, c, "quiet-waiter"); return len(queue) == 2 })
	_, stat, err := c.Exists("/zoo-locked/quiet-waiter/" + queue[1])
	if err != nil || stat == nil {
		t.Fatalf("waiter's znode: %v", err)
	}
	received := func() int {
		sid := fmt.Sprintf("sid=0x%x", stat.EphemeralOwner)
		for _, id := range e.IDs() {
			out, err := fourLetter(e.ClientAddr(id), "cons")
			if err != nil {
				continue
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, sid) {
					if i := strings.Index(line, "recved="); i >= 0 {
						n, _ := strconv.Atoi(strings.SplitN(line[i+len("recved="):], ",", 2)[0])
						return n
					}
				}
			}
		}
		t.Fatalf("no server lists the waiter's session %s", sid)
		return 0
	}
	// Its contending (listing, token, watch) is over once it watches its
	// predecessor; count from then.
	sid := fmt.Sprintf("0x%x", stat.EphemeralOwner)
	eventually(t, 10*time.Second, "the waiter watches its predecessor", func() bool {
		for _, id := range e.IDs() {
			if out, err := fourLetter(e.ClientAddr(id), "wchc"); err == nil && strings.Contains(out, sid+"\n\t/zoo-locked/quiet-waiter/"+queue[0]) {
				return true
			}
		}
		return false
	})
	first := received()
	const watch = 4 * time.Second // T: a heartbeat would send 6 requests, the client's pings 3
	time.Sleep(watch)             // counting what a quiet waiter sends over a while is the point
	if n := received() - first; n > 4 {
		t.Fatalf("the waiter sent %d requests in %v while waiting; the client's pings alone are 3", n, watch)
	}
}

// TestFirstRunCostsOneWriteMore: a lock's first run makes its parent in
// the transaction that makes its contender, so it costs one write more
// than the next run (the contender's failed create), not two. The very
// first lock under a root that does not exist yet pays one more (the
// transaction that assumed the root, failed), once per ensemble.
func TestFirstRunCostsOneWriteMore(t *testing.T) {
	e := chaostest.SharedEnsemble(t)
	fire := func(args ...string) int64 {
		t.Helper()
		before, _ := ensembleCounters(t, e)
		w := startWrapper(t, "first-run", nil, append(args, "--", "true")...)
		if code := w.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, w.stderr)
		}
		after, _ := ensembleCounters(t, e)
		return after - before
	}
	fire("first-run-root") // the root exists from here on, as on any ensemble in use
	// The shared ensemble may write meanwhile (an earlier test's session
	// expiring): such writes only add, so the least of three tries counts.
	var first, second int64
	for try := range 3 {
		name := fmt.Sprintf("first-run-%d", try)
		first, second = fire(name), fire(name)
		t.Logf("writes: %d for the first run, %d for the second", first, second)
		if first <= second+1 {
			break
		}
	}
	if first > second+1 {
		t.Fatalf("the first run cost %d writes, the second %d: want at most one more", first, second)
	}
	root := fmt.Sprintf("/first-run-root-%d", time.Now().UnixNano())
	if n := fire("--root", root, "first-run"); n > second+2 {
		t.Fatalf("a first run under a new root cost %d writes, want at most %d", n, second+2)
	}
	if st, err := fleet.Inspect(zkClient(t), root, "first-run", lock.Contenders{}); err != nil || len(st.Runs) != 1 || st.Runs[0].State != "ok" {
		t.Fatalf("the run under the new root: %+v, %v", st.Runs, err)
	}
}

// TestAWrapperKilledAsItsJobStartsLeavesItsEntry: the run's entry is in
// the ledger before the job starts. The job's first act is to SIGKILL its
// wrapper, on a node whose every request takes 150 ms each way, so that an
// entry written beside the job's start would still be on its way: the run
// must still read as lost, never be missing.
func TestAWrapperKilledAsItsJobStartsLeavesItsEntry(t *testing.T) {
	node, err := chaostest.SharedEnsemble(t).Node("killed-at-start")
	if err != nil {
		t.Fatal(err)
	}
	// The keeper's parent, field 4 of its stat, is the wrapper.
	killWrapper := `kill -9 $(cut -d' ' -f4 /proc/$PPID/stat); sleep 60`
	if err := node.Slow(context.Background(), 150*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	w := startWrapper(t, "killed-at-start", nil, "killed-at-start", "--", "sh", "-c", killWrapper)
	if code := w.wait(t, 30*time.Second); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("the wrapper exited %d, want killed by its job; stderr:\n%s", code, w.stderr)
	}
	if err := node.Heal(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []fleet.RunEntry
	eventually(t, testSession+3*time.Second, "the killed run reads as lost once its session is gone", func() bool {
		got = runs(t, "killed-at-start")
		return len(got) == 1 && got[0].State == "lost"
	})
	if got[0].Pid != w.cmd.Process.Pid {
		t.Fatalf("entry %+v, want the killed wrapper's (pid %d)", got[0], w.cmd.Process.Pid)
	}
}
