package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

// checkCmd runs check and returns its line and exit code.
func checkCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return inspectCmd(t, append([]string{"check"}, args...)...)
}

// slotEnds waits until the slot of a --once-per 4s schedule that holds now
// has ended, so that check judges it.
func slotEnds(t *testing.T, sched schedule.Schedule) {
	t.Helper()
	_, end := sched.Slot(time.Now())
	time.Sleep(time.Until(end) + 50*time.Millisecond) // slots are wall-clock time: the wait is the point
}

// TestCheckOutcomes: check on real histories — a slot that ran, one that
// failed, one whose run was lost, one missed, and a lock it cannot judge.
func TestCheckOutcomes(t *testing.T) {
	const period = 4 * time.Second
	sched := schedule.Every{Period: period}
	flags := []string{"--once-per", period.String()}
	// Leave room in the slot for the runs below.
	if _, end := sched.Slot(time.Now()); time.Until(end) < 2*time.Second {
		time.Sleep(time.Until(end))
	}

	ok := startWrapper(t, "check", nil, append(flags, "check-ok", "--", "true")...)
	failed := startWrapper(t, "check", nil, append(flags, "check-failed", "--", "sh", "-c", "exit 3")...)
	lost := startWrapper(t, "check", nil, append(flags, "check-lost", "--", "sleep", "60")...)
	ok.wait(t, 10*time.Second)
	failed.wait(t, 10*time.Second)
	c := zkClient(t)
	eventually(t, 5*time.Second, "the lost run's job started", func() bool { return len(contenders(t, c, "check-lost")) == 1 && len(runs(t, "check-lost")) == 1 })
	if err := lost.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	slotEnds(t, sched)

	if out, code := checkCmd(t, "check-ok"); code != 0 || !strings.HasPrefix(out, "OK check-ok: ") || !strings.Contains(out, "ran on") {
		t.Fatalf("a slot that ran (schedule from the record): exit %d: %s", code, out)
	}
	if out, code := checkCmd(t, "check-failed", "--once-per", period.String()); code != 1 || !strings.Contains(out, "failed on") || !strings.Contains(out, "exit 3") {
		t.Fatalf("a slot whose run failed: exit %d: %s", code, out)
	}
	eventually(t, testSession+2*time.Second, "the killed holder's session expires", func() bool { return len(contenders(t, c, "check-lost")) == 0 })
	out, code := checkCmd(t, "check-lost", "--once-per", period.String(), "--json")
	var v checkVerdict
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || v.What != "lost" || v.Status != "WARNING" {
		t.Fatalf("a slot whose run was lost: exit %d, %v: %s", code, err, out)
	}
	// The next slot passes with nobody running anything.
	slotEnds(t, sched)
	if out, code := checkCmd(t, "check-ok"); code != 1 || !strings.Contains(out, "missed") {
		t.Fatalf("a slot nobody ran: exit %d: %s", code, out)
	}
	if out, code := checkCmd(t, "check-never"); code != 3 || !strings.HasPrefix(out, "UNKNOWN") {
		t.Fatalf("a lock with no schedule: exit %d: %s", code, out)
	}
	if out, code := inspectCmd(t, "check", "check-ok", "--connect-timeout", "1s", "--zk", "127.0.0.1:1"); code != 3 || !strings.HasPrefix(out, "UNKNOWN") {
		t.Fatalf("an unreachable ensemble: exit %d: %s", code, out)
	}
	if out, code := checkCmd(t, "check-ok", "--max-age", "1m"); code != 0 {
		t.Fatalf("--max-age 1m after a success: exit %d: %s", code, out)
	}
	if out, code := checkCmd(t, "check-ok", "--max-age", "1s"); code != 1 {
		t.Fatalf("--max-age 1s, the success %v ago: exit %d: %s", 2*period, code, out)
	}
}

// TestJudge pins check's verdicts on made-up ledgers, for what the real
// histories above do not reach (a run still going).
func TestJudge(t *testing.T) {
	sched := schedule.Every{Period: time.Hour}
	now := time.Date(2026, 11, 26, 14, 20, 0, 0, time.UTC)
	slot := time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	exit0, exit2 := 0, 2
	end := slot.Add(time.Minute)
	before, long := slot.Add(time.Minute), slot.Add(-5*time.Hour)
	refused := fleet.RunEntry{Host: "n3", Start: now, End: &now, Ending: fleet.EndRefused, Reason: "clocks disagree", State: "refused"}
	for _, tc := range []struct {
		name  string
		runs  []fleet.RunEntry
		first *time.Time
		want  string
		code  int
	}{
		{"ran", []fleet.RunEntry{{Host: "n1", Start: slot, End: &end, Exit: &exit0, Ending: fleet.EndExited, SlotStart: &slot, State: "ok"}}, nil, "ran", 0},
		{"failed then ran", []fleet.RunEntry{
			{Host: "n1", Start: slot, End: &end, Exit: &exit2, Ending: fleet.EndExited, SlotStart: &slot, State: "failed"},
			{Host: "n2", Start: slot, End: &end, Exit: &exit0, Ending: fleet.EndExited, SlotStart: &slot, State: "ok"}}, nil, "ran", 0},
		{"running", []fleet.RunEntry{{Host: "n1", Start: slot, SlotStart: &slot, State: "running"}}, nil, "running", 3},
		{"fenced", []fleet.RunEntry{{Host: "n1", Start: slot, End: &end, Exit: &exit2, Ending: fleet.EndFenced, Reason: "lock lost", SlotStart: &slot, State: "fenced"}}, nil, "fenced", 1},
		{"missed", nil, nil, "missed", 1},
		{"missed, the job older than the slot", nil, &long, "missed", 1},
		{"not due: the slot ended before the first firing", nil, &now, "not-due", 0},
		{"missed, first fired inside the slot", nil, &before, "missed", 1},
		{"ran, then a refusal", []fleet.RunEntry{
			{Host: "n1", Start: slot, End: &end, Exit: &exit0, Ending: fleet.EndExited, SlotStart: &slot, State: "ok"}, refused}, nil, "refused", 1},
		{"a refusal, then a run", []fleet.RunEntry{refused,
			{Host: "n1", Start: slot, End: &end, Exit: &exit0, Ending: fleet.EndExited, SlotStart: &slot, State: "ok"}}, nil, "ran", 0},
	} {
		v := judge(fleet.LockStatus{Name: "invoices", Runs: tc.runs, FirstSeen: tc.first}, sched, 0, now)
		if v.What != tc.want || v.Code != tc.code {
			t.Errorf("%s: %+v, want %s exit %d", tc.name, v, tc.want, tc.code)
		}
	}
}
