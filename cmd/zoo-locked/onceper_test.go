package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
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
	st, err := fleet.Inspect(c, "/zoo-locked", "once-retry", lock.Contenders{})
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
	_, next := schedule.Every{Period: period}.Slot(time.Now())
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

// boundaryAt is a --once-per period and --slot-offset whose slot boundary
// falls at b: tests place a boundary where they need it instead of
// waiting for one.
func boundaryAt(b time.Time, period time.Duration) []string {
	offset := time.Duration(b.UnixNano() % int64(period))
	return []string{"--once-per", period.String(), "--slot-offset", offset.String()}
}

// lastRun reads a lock's record.
func lastRun(t *testing.T, name string) *fleet.SlotRecord {
	t.Helper()
	st, err := fleet.Inspect(zkClient(t), "/zoo-locked", name, lock.Contenders{})
	if err != nil || st.LastRun == nil {
		t.Fatalf("record of %s: %+v, %v", name, st.LastRun, err)
	}
	return st.LastRun
}

// TestOncePerCron: a cron schedule runs once per firing: the first firing
// in a slot runs, the next skips, and the record names the schedule.
func TestOncePerCron(t *testing.T) {
	w := newWitness(t)
	const every = "CRON_TZ=Europe/Berlin * * * * *" // a slot a minute
	if time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)) < 5*time.Second {
		time.Sleep(6 * time.Second) // keep both firings in one minute's slot
	}
	if code := runOnce(t, w, "cron-a", 0, 100*time.Millisecond, "--once-per", every, "once-cron"); code != 0 {
		t.Fatalf("first firing exit %d", code)
	}
	if code := runOnce(t, w, "cron-b", 0, 100*time.Millisecond, "--once-per", every, "once-cron"); code != 0 {
		t.Fatalf("second firing exit %d", code)
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d runs in one slot of %q, want 1", n, every)
	}
	if rec := lastRun(t, "once-cron"); rec.Schedule != every || rec.SlotEnd.Sub(rec.SlotStart) != time.Minute {
		t.Fatalf("record %+v", rec)
	}
	// A record made under another schedule never makes a run skip.
	if code := runOnce(t, w, "cron-c", 0, 100*time.Millisecond, "--once-per", "1h", "once-cron"); code != 0 || len(w.Ended()) != 2 {
		t.Fatalf("a firing under another schedule: exit %d, %d runs, want it to run", code, len(w.Ended()))
	}
}

// TestOncePerFollowsTheEnsemblesClock: a node whose clock is off, within
// the bound, decides as a node with a true clock would. For each skew, a
// slot boundary is put between the true time and the skewed one, so that a
// wrapper judging by its own clock would put its firing in the other slot
// and run again.
func TestOncePerFollowsTheEnsemblesClock(t *testing.T) {
	const period = 10 * time.Second // a firing up to 0.5 s early counts for the next slot
	for _, skew := range []time.Duration{-4 * time.Second, 4 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			w := newWitness(t)
			name := "clock" + strings.NewReplacer("-", "m", ".", "").Replace(skew.String())
			// Both firings come within 2 s from now: the true time then
			// lies on one side of the boundary, outside the lead, and the
			// skewed clock on the other.
			boundary := time.Now().Add(500 * time.Millisecond).Add(skew / 2)
			slot := boundaryAt(boundary, period)
			if code := runOnce(t, w, name+"-true", 0, 100*time.Millisecond, append(slot, name)...); code != 0 {
				t.Fatalf("true clock: exit %d", code)
			}
			skewed := startWrapper(t, name+"-skewed", []string{w.jobEnv(name+"-skewed", 100*time.Millisecond, 0)},
				append(append([]string{"--unsafe-clock-skew", skew.String()}, slot...), append([]string{name}, selfJob()...)...)...)
			if code := skewed.wait(t, 20*time.Second); code != 0 {
				t.Fatalf("skewed clock: exit %d\n%s", code, skewed.stderr)
			}
			if n := len(w.Ended()); n != 1 {
				t.Fatalf("a node whose clock is %v off ran the job again in the slot a true clock ran it in (%d runs):\n%s", skew, n, skewed.stderr)
			}
			if !strings.Contains(skewed.stderr.String(), "clock differs from the ensemble's") {
				t.Fatalf("no warning for a %v clock error:\n%s", skew, skewed.stderr)
			}
		})
	}
}

// TestOncePerRefusesWhenClocksDisagree: beyond the bound a firing runs
// nothing and exits 81 with one line naming both clocks and the fix; the
// ledger and check show the refusal; once the clock is fixed (the advice
// followed), the slot runs and check is OK again.
func TestOncePerRefusesWhenClocksDisagree(t *testing.T) {
	for _, skew := range []time.Duration{-10 * time.Minute, time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			w := newWitness(t)
			name := "refuse" + strings.NewReplacer("-", "m", ".", "").Replace(skew.String())
			flags := []string{"--once-per", "1h", name}
			skewed := startWrapper(t, name+"-skewed", []string{w.jobEnv(name+"-skewed", 100*time.Millisecond, 0)},
				append(append([]string{"--unsafe-clock-skew", skew.String()}, flags...), selfJob()...)...)
			if code := skewed.wait(t, 20*time.Second); code != exitcode.ClockRefused {
				t.Fatalf("a node %v off: exit %d, want %d\n%s", skew, code, exitcode.ClockRefused, skewed.stderr)
			}
			for _, want := range []string{"clocks disagree", "this host's clock read", "the ensemble's (server ", "ran nothing", "chronyc"} {
				if !strings.Contains(skewed.stderr.String(), want) {
					t.Fatalf("the refusal does not say %q:\n%s", want, skewed.stderr)
				}
			}
			if n := len(w.Ended()); n != 0 {
				t.Fatalf("a refusing firing ran its job (%d runs)", n)
			}
			if rs := runs(t, name); len(rs) != 1 || rs[0].State != "refused" {
				t.Fatalf("the ledger after a refusal: %+v, want one refused entry", rs)
			}
			if out, code := checkCmd(t, name, "--once-per", "1h"); code != 1 || !strings.Contains(out, "WARNING") || !strings.Contains(out, "refuse") {
				t.Fatalf("check after a refusal: exit %d: %s", code, out)
			}
			// The fix followed: the same node with its clock set right.
			if code := runOnce(t, w, name+"-fixed", 0, 100*time.Millisecond, flags...); code != 0 {
				t.Fatalf("the clock fixed: exit %d", code)
			}
			if n := len(w.Ended()); n != 1 {
				t.Fatalf("the clock fixed: %d runs, want the slot's one", n)
			}
			if out, code := checkCmd(t, name, "--once-per", "1h"); code != 0 {
				t.Fatalf("check once the slot ran: exit %d: %s", code, out)
			}
		})
	}
}

// TestOncePerRefusesARecordAhead: a record naming a slot that has not
// begun (a clock that ran ahead wrote it) refuses instead of skipping for
// hours, and says how to clear it; following that, the next firing runs.
func TestOncePerRefusesARecordAhead(t *testing.T) {
	c := zkClient(t)
	sched := schedule.Every{Period: time.Hour}
	start, end := sched.Slot(time.Now().Add(2 * time.Hour))
	rec, _ := json.Marshal(fleet.SlotRecord{Host: "ahead", Pid: 1, Schedule: sched.String(), SlotStart: start, SlotEnd: end, Fired: start, Start: start, End: start})
	for _, p := range []string{"/zoo-locked", "/zoo-locked/ahead~"} {
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/zoo-locked/ahead~/last-run", rec, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	wr := startWrapper(t, "ahead", nil, "--once-per", "1h", "ahead", "--", "true")
	if code := wr.wait(t, 20*time.Second); code != exitcode.ClockRefused || !strings.Contains(wr.stderr.String(), "zoo-locked reset ahead") {
		t.Fatalf("a record two hours ahead: exit %d, want %d and how to clear it:\n%s", code, exitcode.ClockRefused, wr.stderr)
	}
	if out := followAdvice(t, wr.stderr.String()); !strings.Contains(out, "deleted") {
		t.Fatalf("reset as advised: %s", out)
	}
	again := startWrapper(t, "ahead", nil, "--once-per", "1h", "ahead", "--", "true")
	if code := again.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("once-per after reset: exit %d:\n%s", code, again.stderr)
	}
}

// TestOncePerEarlyFleetRunsItsSlot: a whole fleet whose clocks run 3 s
// ahead of the ensemble fires 3 s before the hour by the ensemble's clock.
// It runs once, for the hour about to begin (the slot before already ran),
// so it neither skips the slot forever nor runs one twice.
func TestOncePerEarlyFleetRunsItsSlot(t *testing.T) {
	w := newWitness(t)
	hour := time.Now().Add(14 * time.Second)
	slot := boundaryAt(hour, time.Hour)
	if code := runOnce(t, w, "early-0", 0, 100*time.Millisecond, append(slot, "early")...); code != 0 {
		t.Fatalf("the slot before: exit %d", code)
	}
	if lastRun(t, "early").SlotEnd.After(hour) {
		t.Fatal("the run meant for the slot before counted for the hour")
	}
	time.Sleep(time.Until(hour.Add(-3 * time.Second))) // cron on a clock 3 s ahead fires now
	var fleet []*wrapper
	for i := range 3 {
		node := "early-" + strconv.Itoa(i+1)
		fleet = append(fleet, startWrapper(t, node, []string{w.jobEnv(node, 300*time.Millisecond, 0)},
			append(append([]string{"--unsafe-clock-skew", "3s"}, slot...), append([]string{"early"}, selfJob()...)...)...))
	}
	for _, f := range fleet {
		if code := f.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("exit %d\n%s", code, f.stderr)
		}
	}
	if n := len(w.Ended()); n != 2 {
		t.Fatalf("%d runs, want 2: the slot before, and one for the hour the early fleet fired for", n)
	}
	if rec := lastRun(t, "early"); !rec.SlotStart.Equal(hour.Truncate(time.Millisecond)) && rec.SlotStart.Sub(hour).Abs() > time.Millisecond {
		t.Fatalf("the early fleet's run counted for the slot from %v, want the one from %v", rec.SlotStart, hour)
	}
}

// TestSplay: the wrapper waits before connecting, a signal ends the wait at
// once with 128+n, and a --once-per slot is judged from the firing, not
// from the end of the splay.
func TestSplay(t *testing.T) {
	w := newWitness(t)
	wr := startWrapper(t, "splay", []string{w.jobEnv("splay", 100*time.Millisecond, 0)}, append([]string{"--splay", "1h", "splayed"}, selfJob()...)...)
	time.Sleep(300 * time.Millisecond) // let it enter the splay; nothing to wait on from outside
	if err := wr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := wr.wait(t, 2*time.Second); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("SIGTERM during the splay: exit %d, want %d\n%s", code, 128+int(syscall.SIGTERM), wr.stderr)
	}
	if n := len(w.Ended()); n != 0 {
		t.Fatal("the job ran although the wrapper was stopped during its splay")
	}
	// The boundary falls 1.2 s after the firing; a splay of up to 3 s ends
	// past it more often than not, and the run must still count for the
	// slot of the firing.
	fired := time.Now()
	slot := boundaryAt(fired.Add(1200*time.Millisecond), 20*time.Second)
	if code := runOnce(t, w, "splay", 0, 100*time.Millisecond, append(append([]string{"--splay", "3s"}, slot...), "splay-slot")...); code != 0 {
		t.Fatalf("splayed run exit %d", code)
	}
	rec := lastRun(t, "splay-slot")
	if !rec.SlotEnd.After(rec.Fired) || rec.SlotStart.After(fired) {
		t.Fatalf("record %+v: the run counted for a slot its firing (%v) was not in", rec, fired)
	}
	t.Logf("splay: job started %v after the firing", rec.Start.Sub(rec.Fired).Round(time.Millisecond))
}

// TestOncePerCatchesUp: a crontab line that fires more often than the
// schedule catches up a slot the whole fleet slept through: the first
// firing after the slot began, on any node, runs it; the next skips.
func TestOncePerCatchesUp(t *testing.T) {
	w := newWitness(t)
	// A daily-like slot that began 30 minutes ago, when no node fired.
	began := time.Now().Add(-30 * time.Minute)
	slot := boundaryAt(began, 24*time.Hour)
	if code := runOnce(t, w, "catchup-a", 0, 50*time.Millisecond, append(slot, "catch-up")...); code != 0 {
		t.Fatalf("the first firing after the slot began: exit %d", code)
	}
	if code := runOnce(t, w, "catchup-b", 0, 50*time.Millisecond, append(slot, "catch-up")...); code != 0 {
		t.Fatalf("the next firing: exit %d", code)
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d runs, want the slot caught up once", n)
	}
	if rec := lastRun(t, "catch-up"); rec.SlotStart.Sub(began).Abs() > time.Millisecond {
		t.Fatalf("the run counted for the slot from %v, want the one that began at %v", rec.SlotStart, began)
	}
}

// TestMaxAttemptsResetAsAdvised: a slot out of attempts says how to allow
// more; that followed, the next firing of the same slot runs, and status
// shows who reset it.
func TestMaxAttemptsResetAsAdvised(t *testing.T) {
	w := newWitness(t)
	// A slot that began a second ago and lasts ten minutes: the test
	// cannot cross into the next.
	slot := append(boundaryAt(time.Now().Add(-time.Second), 10*time.Minute), "--max-attempts", "1")
	if code := runOnce(t, w, "forgive-a", 1, 50*time.Millisecond, append(slot, "forgiven")...); code != 1 {
		t.Fatalf("the attempt: exit %d, want the job's 1", code)
	}
	refused := startWrapper(t, "forgive-b", []string{w.jobEnv("forgive-b", 50*time.Millisecond, 0)}, append(slot, append([]string{"forgiven"}, selfJob()...)...)...)
	if code := refused.wait(t, 20*time.Second); code != 0 || len(w.Ended()) != 1 {
		t.Fatalf("a firing out of attempts: exit %d, %d runs, want a skip\n%s", code, len(w.Ended()), refused.stderr)
	}
	if said := followAdvice(t, refused.stderr.String()); !strings.Contains(said, "1 failed attempts no longer count") {
		t.Fatalf("reset as advised said %q", said)
	}
	if code := runOnce(t, w, "forgive-c", 0, 50*time.Millisecond, append(slot, "forgiven")...); code != 0 || len(w.Ended()) != 2 {
		t.Fatalf("after the advised reset: exit %d, %d runs, want the slot to run", code, len(w.Ended()))
	}
	if st := statusOf(t, "forgiven"); !slices.ContainsFunc(st.Runs, func(r fleet.RunEntry) bool { return r.State == "reset" && strings.Contains(r.Reason, "@") }) {
		t.Fatalf("status does not show who reset the attempts: %+v", st.Runs)
	}
}

// TestMaxAttempts: failed runs of one slot count across the fleet; after
// --max-attempts of them, firings skip until the next slot, and check
// says the slot failed after that many attempts.
func TestMaxAttempts(t *testing.T) {
	w := newWitness(t)
	// The next slot begins at next: past the 6 s within which a firing
	// counts for the slot about to begin.
	next := time.Now().Add(9 * time.Second)
	slot := append(boundaryAt(next, 2*time.Minute), "--max-attempts", "2")
	for i, node := range []string{"attempt-a", "attempt-b"} {
		if code := runOnce(t, w, node, 1, 50*time.Millisecond, append(slot, "attempts")...); code != 1 {
			t.Fatalf("attempt %d: exit %d, want the job's 1", i+1, code)
		}
	}
	third := startWrapper(t, "attempt-c", []string{w.jobEnv("attempt-c", 50*time.Millisecond, 0)}, append(slot, append([]string{"attempts"}, selfJob()...)...)...)
	if code := third.wait(t, 20*time.Second); code != 0 || !strings.Contains(third.stderr.String(), "max-attempts") {
		t.Fatalf("a firing after 2 failed attempts: exit %d, want a skip\n%s", code, third.stderr)
	}
	if n := len(w.Ended()); n != 2 {
		t.Fatalf("%d runs, want the 2 attempts only", n)
	}
	if time.Now().After(next.Add(-6 * time.Second)) {
		t.Fatal("machine too slow for the slot test")
	}
	// check judges the slot that ended: wait for it to end, as cron would.
	time.Sleep(time.Until(next))
	out, _, code := operatorCmd(t, append(append([]string{"check"}, slot[:4]...), "attempts")...)
	if code != 1 || !strings.Contains(out, "failed after 2 attempts") {
		t.Fatalf("check: exit %d, %q; want WARNING, failed after 2 attempts", code, out)
	}
	if code := runOnce(t, w, "attempt-d", 0, 50*time.Millisecond, append(slot, "attempts")...); code != 0 || len(w.Ended()) != 3 {
		t.Fatalf("the next slot: exit %d, %d runs, want it to run", code, len(w.Ended()))
	}
}
