package fleet

import (
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

// TestJudgeSlot: a record never moves a slot back, and one naming a slot
// that has not begun refuses instead of skipping silently or running.
func TestJudgeSlot(t *testing.T) {
	hourly := schedule.Every{Period: time.Hour}
	at := func(h, m int) time.Time { return time.Date(2026, 12, 6, h, m, 0, 0, time.UTC) }
	record := func(slotHour int) *SlotRecord {
		start, end := hourly.Slot(at(slotHour, 30))
		return &SlotRecord{Schedule: hourly.String(), SlotStart: start, SlotEnd: end}
	}
	slot := func(fired time.Time) slotRun {
		start, end := slotOf(hourly, fired)
		return slotRun{fired: fired, start: start, end: end}
	}
	for _, c := range []struct {
		name string
		rec  *SlotRecord
		slot slotRun
		now  time.Time
		want slotJudgement
	}{
		{"no record", nil, slot(at(3, 10)), at(3, 10), slotDue},
		{"an earlier slot ran", record(2), slot(at(3, 10)), at(3, 10), slotDue},
		{"this slot ran", record(3), slot(at(3, 10)), at(3, 10), slotDone},
		{"a later slot ran: a late firing skips", record(4), slot(at(3, 59)), at(4, 5), slotDone},
		{"a slot an hour ahead", record(4), slot(at(3, 10)), at(3, 10), slotAhead},
		{"the next slot, within the lead", record(4), slot(at(3, 59).Add(58 * time.Second)), at(3, 59).Add(58 * time.Second), slotDone},
		{"another schedule", &SlotRecord{Schedule: "every 2h", SlotStart: at(3, 0)}, slot(at(3, 10)), at(3, 10), slotOtherSchedule},
	} {
		if got := judgeSlot(c.rec, hourly.String(), c.slot, c.now); got != c.want {
			t.Errorf("%s: judged %d, want %d", c.name, got, c.want)
		}
	}
}

// TestClockDisagrees: the bound allows for the measurement's own error.
func TestClockDisagrees(t *testing.T) {
	for _, c := range []struct {
		behind, within time.Duration
		want           bool
	}{
		{0, time.Millisecond, false},
		{ClockBound, time.Millisecond, false},
		{-ClockBound - 2*time.Millisecond, time.Millisecond, true},
		{ClockBound + time.Second, 2 * time.Second, false},
		{time.Hour, 10 * time.Millisecond, true},
		{-30 * time.Minute, 10 * time.Millisecond, true},
	} {
		if got := (clockError{behind: c.behind, within: c.within}).disagrees(); got != c.want {
			t.Errorf("%v off, measured within %v: disagrees %v, want %v", c.behind, c.within, got, c.want)
		}
	}
}
