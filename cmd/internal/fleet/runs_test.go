package fleet

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

// The ledger's model, without a server: what a firing counts and how the
// ledger changes as runs start, end, are refused and reset.

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func exited(id string, code int, slot *time.Time) RunEntry {
	end := t0
	return RunEntry{ID: id, Host: "h", Start: t0, End: &end, Ending: EndExited, Exit: &code, SlotStart: slot}
}

func TestFailedInSlot(t *testing.T) {
	slot, other := t0, t0.Add(time.Hour)
	reset := RunEntry{ID: "reset-1", Ending: EndReset, Start: t0, End: &t0}
	lost := RunEntry{ID: "lost", SlotStart: &slot} // never completed
	for _, tc := range []struct {
		name string
		runs []RunEntry
		want int
	}{
		{"none", nil, 0},
		{"one failure", []RunEntry{exited("a", 1, &slot)}, 1},
		{"a success does not count", []RunEntry{exited("a", 1, &slot), exited("b", 0, &slot)}, 1},
		{"another slot does not count", []RunEntry{exited("a", 1, &other), exited("b", 2, &slot)}, 1},
		{"a run without a slot does not count", []RunEntry{exited("a", 1, nil)}, 0},
		{"a lost run counts", []RunEntry{lost, exited("a", 1, &slot)}, 2},
		{"a reset forgives what came before", []RunEntry{exited("a", 1, &slot), exited("b", 1, &slot), reset}, 0},
		{"failures after a reset count", []RunEntry{exited("a", 1, &slot), reset, exited("b", 1, &slot)}, 1},
	} {
		if got := FailedInSlot(tc.runs, slot); got != tc.want {
			t.Errorf("%s: FailedInSlot = %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := failedSinceReset([]RunEntry{exited("a", 1, &other), exited("b", 1, &slot), exited("c", 0, nil)}); got != 2 {
		t.Errorf("failedSinceReset over two slots = %d, want 2", got)
	}
}

func TestRunState(t *testing.T) {
	stop := t0
	for _, tc := range []struct {
		e     RunEntry
		alive bool
		want  string
	}{
		{RunEntry{}, true, "running"},
		{RunEntry{}, false, "lost"},
		{exited("a", 0, nil), false, "ok"},
		{exited("a", 3, nil), false, "failed"},
		{RunEntry{End: &stop, Ending: EndFenced}, false, "fenced"},
		{RunEntry{End: &stop, Ending: EndRefused}, false, "refused"},
		{RunEntry{End: &stop, Ending: EndReset}, false, "reset"},
		{RunEntry{End: &stop, Ending: EndStopped}, false, "stopped"},
		{RunEntry{End: &stop, Ending: EndMaxRuntime}, false, "stopped"},
	} {
		if got := tc.e.state(tc.alive); got != tc.want {
			t.Errorf("%+v alive=%v: state %q, want %q", tc.e, tc.alive, got, tc.want)
		}
	}
}

func TestLedgerChanges(t *testing.T) {
	var l ledger
	for i := range LedgerSize + 5 {
		l.add(RunEntry{ID: fmt.Sprint(i)})
		l.trim()
	}
	if len(l.Runs) != LedgerSize || l.Runs[0].ID != "5" {
		t.Fatalf("after %d runs: %d entries from %q, want the last %d", LedgerSize+5, len(l.Runs), l.Runs[0].ID, LedgerSize)
	}

	l = ledger{}
	l.add(RunEntry{ID: "a"})
	l.add(RunEntry{ID: "a"}) // a start made again after a dropped connection
	l.end("a", func(e *RunEntry) { e.Ending = EndExited })
	l.end("gone", func(e *RunEntry) { e.Ending = EndFenced }) // its start never made it
	if len(l.Runs) != 2 || l.Runs[0].Ending != EndExited || l.Runs[1].ID != "gone" || l.Runs[1].Ending != EndFenced {
		t.Fatalf("start twice, end, end of an unknown run: %+v", l.Runs)
	}

	l.refuse(RunEntry{ID: "r1", Host: "h1", Ending: EndRefused})
	l.refuse(RunEntry{ID: "r2", Host: "h2", Ending: EndRefused})
	l.refuse(RunEntry{ID: "r3", Host: "h1", Ending: EndRefused})
	var refusals []string
	for _, e := range l.Runs {
		if e.Ending == EndRefused {
			refusals = append(refusals, e.ID)
		}
	}
	if fmt.Sprint(refusals) != "[r2 r3]" {
		t.Fatalf("refusals kept %v, want each host's last: [r2 r3]", refusals)
	}
}

func TestLedgerJSON(t *testing.T) {
	slot := t0
	l := ledger{Runs: []RunEntry{exited("a", 0, &slot), {ID: "b", Host: "h2", Start: t0}}}
	data, err := l.encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeLedger(data)
	if err != nil || !back.same(l) {
		t.Fatalf("round trip: %v, %+v", err, back)
	}
	changed := back.clone()
	changed.end("b", func(e *RunEntry) { e.Ending = EndFenced })
	if changed.same(l) || !back.same(l) {
		t.Fatal("a change to a clone shows in the original, or same misses it")
	}
	if _, err := decodeLedger([]byte("not a ledger")); err == nil {
		t.Fatal("decoding something else gave no error")
	}
}

func TestRunID(t *testing.T) {
	a, b := RunID("invoices", 42), RunID("invoices", 43)
	if a != RunID("invoices", 42) || a == b || a == RunID("reports", 42) {
		t.Fatalf("RunID is not one id per lock and token: %s %s", a, b)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Fatalf("RunID %s is not a version-5 UUID", a)
	}
}

// TestLatestUnended: only a latest run that never completed its entry
// left without a word; an older lost run, or none, does not delay a
// holder.
func TestLatestUnended(t *testing.T) {
	end := time.Unix(100, 0)
	for _, tc := range []struct {
		runs []RunEntry
		want bool
	}{
		{nil, false},
		{[]RunEntry{{ID: "a", End: &end, Ending: EndExited}}, false},
		{[]RunEntry{{ID: "a", End: &end, Ending: EndExited}, {ID: "b"}}, true},
		{[]RunEntry{{ID: "a"}, {ID: "b", End: &end, Ending: EndFenced}}, false},
		{[]RunEntry{{ID: "a"}, {ID: "r", End: &end, Ending: EndReset}}, false},
	} {
		if got := (ledger{Runs: tc.runs}).latestUnended(); got != tc.want {
			t.Errorf("%+v: latestUnended %v, want %v", tc.runs, got, tc.want)
		}
	}
}
