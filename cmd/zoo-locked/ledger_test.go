package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/lock"
)

// runs reads a lock's ledger as status --json shows it.
func runs(t *testing.T, name string) []lock.RunEntry {
	t.Helper()
	out, _ := inspectCmd(t, "status", name, "--json")
	var st lock.LockStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return st.Runs
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
	crashed := crash.cmd.Process.Pid
	if err := crash.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	busy := startWrapper(t, "ledger-d", nil, "--no-wait", "ledger", "--", "true")
	busy.wait(t, 10*time.Second)

	var got []lock.RunEntry
	eventually(t, testSession+3*time.Second, "the crashed run reads as lost once its session is gone", func() bool {
		got = runs(t, "ledger")
		return len(got) == 4 && got[3].State == "lost"
	})
	want := []struct {
		state  string
		exit   int
		ending string
	}{{"ok", 0, lock.EndExited}, {"failed", 3, lock.EndExited}, {"stopped", 143, lock.EndMaxRuntime}}
	for i, wt := range want {
		e := got[i]
		if e.State != wt.state || e.Exit == nil || *e.Exit != wt.exit || e.Ending != wt.ending || e.End == nil || e.Token <= 0 || e.Host == "" || e.ID != lock.RunID("ledger", e.Token) {
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
	for i := range lock.LedgerSize + 2 {
		wr := startWrapper(t, "bounded", nil, "bounded", "--", "true")
		if code := wr.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("run %d: exit %d", i, code)
		}
	}
	got := runs(t, "bounded")
	if len(got) != lock.LedgerSize {
		t.Fatalf("%d runs kept, want %d", len(got), lock.LedgerSize)
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
