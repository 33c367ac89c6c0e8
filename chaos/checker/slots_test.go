package checker

import (
	"strings"
	"testing"
	"time"
)

// slotHistory is a --once-per trial with a 20 s period whose epoch sits
// 2 s into a true slot: node1 runs at +1 s (slot from :00), node2 at +25 s
// (slot from :20), each recorded for the slot it truly started in.
func slotHistory() *History {
	epoch := time.Date(2026, 12, 7, 3, 0, 2, 0, time.UTC)
	exit0 := 0
	run := func(token int64, host string, at time.Duration, slot time.Time) LedgerRun {
		start, end := epoch.Add(at), epoch.Add(at+sec)
		return LedgerRun{Token: token, Host: host, Start: start, End: &end, Exit: &exit0, Ending: "exited", SlotStart: &slot}
	}
	return &History{
		Nodes: []string{"node1", "node2"}, Duration: 40 * sec, SessionTimeout: 3 * sec, OncePer: true,
		SlotPeriod: 20 * sec, Epoch: epoch,
		Intervals: []Interval{
			{Node: "node1", Token: 10, Start: 1 * sec, End: 2 * sec},
			{Node: "node2", Token: 12, Start: 25 * sec, End: 26 * sec},
		},
		Firings: []Firing{
			{Node: "node1", Start: 0, End: 2*sec + 5*time.Millisecond},
			{Node: "node2", Start: 24 * sec, End: 26*sec + 5*time.Millisecond},
		},
		SlotLedger: []LedgerRun{
			run(10, "node1", 1*sec, epoch.Truncate(20*sec)),
			run(12, "node2", 25*sec, epoch.Truncate(20*sec).Add(20*sec)),
		},
	}
}

func TestSlotsPassesOneRunPerTrueSlot(t *testing.T) {
	v := verdict(t, Check(slotHistory(), Expect{}), "slots")
	if !v.Pass || !v.Required || !strings.Contains(v.Detail, "1,1") {
		t.Fatalf("a clean once-per history: %+v", v)
	}
}

// TestSlotsCatchesWhatAClockFaultCauses: each way a wrong clock breaks
// --once-per fails the verdict, measured on the true clock.
func TestSlotsCatchesWhatAClockFaultCauses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(h *History)
		want  string
	}{
		{"a second run in one true slot, recorded for a slot an hour ahead", func(h *History) {
			h.Intervals[1].Start, h.Intervals[1].End = 9*sec, 10*sec
			ahead := h.Epoch.Truncate(time.Hour).Add(time.Hour)
			h.SlotLedger[1].SlotStart = &ahead
		}, "2 successful runs in the true slot"},
		{"a run recorded for a slot in the future", func(h *History) {
			ahead := h.SlotLedger[1].SlotStart.Add(time.Hour)
			h.SlotLedger[1].SlotStart = &ahead
		}, "but was recorded for the slot from"},
		{"a record that moves back", func(h *History) {
			back := h.SlotLedger[0].SlotStart.Add(-time.Minute)
			h.SlotLedger = append(h.SlotLedger, h.SlotLedger[0])
			h.SlotLedger[2].SlotStart, h.SlotLedger[2].Token = &back, 99
		}, "moved back"},
		{"a run earlier than its true slot by more than the tolerance", func(h *History) {
			late := h.SlotLedger[1].SlotStart.Add(20 * sec)
			h.SlotLedger[1].SlotStart = &late
		}, "but was recorded for the slot from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := slotHistory()
			tc.spoil(h)
			v := verdict(t, Check(h, Expect{}), "slots")
			if v.Pass || !strings.Contains(v.Detail, tc.want) {
				t.Fatalf("want a failure naming %q: %+v", tc.want, v)
			}
		})
	}
}

// TestSlotsTolerance: a run recorded for the slot just before its true
// start, within the clock bound and the slot lead, is not a fault.
func TestSlotsTolerance(t *testing.T) {
	h := slotHistory()
	h.Intervals[1].Start = 21 * sec // 3 s into the true slot from :20
	early := h.SlotLedger[1].SlotStart.Add(-20 * sec)
	h.SlotLedger[1].SlotStart = &early // a clock 5 s behind names the slot from :00
	if v := verdict(t, Check(h, Expect{}), "slots"); !v.Pass {
		t.Fatalf("a run within the tolerance failed: %+v", v)
	}
}

// TestSlotsMustFail: the scenario with the clock check disabled passes
// only when the verdict sees extra runs.
func TestSlotsMustFail(t *testing.T) {
	if v := verdict(t, Check(slotHistory(), Expect{SlotsMustFail: true}), "slots"); v.Pass {
		t.Fatalf("a clean history passed a verdict that must see extra runs: %+v", v)
	}
}

func TestSlotsUnreadableLedgerFails(t *testing.T) {
	h := slotHistory()
	h.LedgerError = "no quorum"
	if v := verdict(t, Check(h, Expect{}), "slots"); v.Pass || !strings.Contains(v.Detail, "no quorum") {
		t.Fatalf("an unread ledger passed: %+v", v)
	}
}

// TestSlotsJudgesAFiringsSlot: a firing that waited for the lock past a
// slot boundary runs the slot it was fired for; the next slot's run right
// after it is not a second run of one slot.
func TestSlotsJudgesAFiringsSlot(t *testing.T) {
	h := slotHistory()
	h.Firings[0].End = 20 * sec
	h.Intervals[0].Start, h.Intervals[0].End = 19*sec, 20*sec // 03:00:21, in the true slot from :20
	if v := verdict(t, Check(h, Expect{}), "slots"); !v.Pass {
		t.Fatalf("a late run of its firing's slot failed: %+v", v)
	}
	h.Firings[0].Start = 18 * sec // fired at 03:00:20: the slot from :20, run twice
	if v := verdict(t, Check(h, Expect{}), "slots"); v.Pass {
		t.Fatalf("two firings of one true slot both ran, and passed: %+v", v)
	}
}

// TestSlotsCountsAnEarlyFiringForTheSlotItClaimed: a firing a moment
// before a boundary that ran for the slot about to begin (zoo-locked's
// lead for an early fleet) is that slot's run, not a second run of the
// slot it fell in.
func TestSlotsCountsAnEarlyFiringForTheSlotItClaimed(t *testing.T) {
	h := slotHistory()
	// node2 fires at 03:00:19.0, a second before the slot from :20 that
	// it is recorded for; node1 ran the slot from :00.
	h.Firings[1].Start = 17 * sec
	h.Intervals[1].Start, h.Intervals[1].End = 17*sec+500*time.Millisecond, 18*sec
	if v := verdict(t, Check(h, Expect{}), "slots"); !v.Pass {
		t.Fatalf("an early firing counted against the slot it fell in: %+v", v)
	}
}
