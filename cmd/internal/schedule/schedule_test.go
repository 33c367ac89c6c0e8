package schedule

import (
	"testing"
	"time"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEverySlots(t *testing.T) {
	daily := Every{Period: 24 * time.Hour, Offset: 2*time.Hour + 30*time.Minute}
	same := func(s Schedule, a, b string) bool {
		sa, _ := s.Slot(at(t, a))
		sb, _ := s.Slot(at(t, b))
		return sa.Equal(sb)
	}
	if same(daily, "2026-11-25T02:29:00Z", "2026-11-25T02:31:00Z") {
		t.Error("02:29 and 02:31 share a daily slot that starts at 02:30")
	}
	if !same(daily, "2026-11-25T02:31:00Z", "2026-11-26T02:29:00Z") {
		t.Error("02:31 and the next day's 02:29 are in different slots")
	}
	hourly := Every{Period: time.Hour}
	if !same(hourly, "2026-11-25T10:00:00+02:00", "2026-11-25T08:30:00Z") {
		t.Error("slots depend on the time zone")
	}
	for _, s := range []string{"1969-12-31T23:59:59Z", "2026-11-25T13:00:00Z", "2026-11-25T13:59:59Z"} {
		start, end := hourly.Slot(at(t, s))
		if start.After(at(t, s)) || !at(t, s).Before(end) || end.Sub(start) != time.Hour {
			t.Errorf("%s: slot [%v, %v)", s, start, end)
		}
	}
	if got := daily.String(); got != "24h0m0s+2h30m0s" {
		t.Errorf("daily schedule reads %q", got)
	}
}

// slotStarts lists the distinct slots met stepping through [from, to).
func slotStarts(s Schedule, from, to time.Time, step time.Duration) []time.Time {
	var starts []time.Time
	for t := from; t.Before(to); t = t.Add(step) {
		start, end := s.Slot(t)
		if start.After(t) || !t.Before(end) {
			return nil // not a slot containing t
		}
		if len(starts) == 0 || !starts[len(starts)-1].Equal(start) {
			starts = append(starts, start)
		}
	}
	return starts
}

func mustCron(t *testing.T, expr string) Schedule {
	t.Helper()
	s, err := ParseCron(expr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCronSlotsRunFromFiringToFiring(t *testing.T) {
	hourly := mustCron(t, "0 * * * *")
	start, end := hourly.Slot(at(t, "2026-11-25T13:20:00Z"))
	if !start.Equal(at(t, "2026-11-25T13:00:00Z")) || !end.Equal(at(t, "2026-11-25T14:00:00Z")) {
		t.Fatalf("13:20 in hourly slot [%v, %v)", start, end)
	}
	if start, _ := hourly.Slot(at(t, "2026-11-25T14:00:00Z")); !start.Equal(at(t, "2026-11-25T14:00:00Z")) {
		t.Fatalf("a firing instant belongs to the slot it opens, got %v", start)
	}
	// A weekday 09:00/17:00 job in Berlin: two slots each weekday, and the
	// weekend belongs to Friday's 17:00 slot.
	office := mustCron(t, "CRON_TZ=Europe/Berlin 0 9,17 * * 1-5")
	week := slotStarts(office, at(t, "2026-11-23T08:00:00Z"), at(t, "2026-11-30T07:59:00Z"), 10*time.Minute)
	if len(week) != 10 {
		t.Fatalf("%d slots in a week of a weekday 09:00/17:00 job, want 10: %v", len(week), week)
	}
	if start, _ := office.Slot(at(t, "2026-11-29T12:00:00Z")); !start.Equal(at(t, "2026-11-27T16:00:00Z")) {
		t.Fatalf("Sunday noon is in the slot of %v, want Friday 17:00 Berlin", start)
	}
	if daily := mustCron(t, "30 2 * * *"); daily.String() != "30 2 * * *" {
		t.Fatalf("schedule reads %q", daily.String())
	}
}

// TestCronSlotsAcrossDaylightSaving: a daily 02:30 Berlin job meets a day
// without 02:30 (spring) and a day with two (autumn); it has one slot a
// day on both, and so does the 09:00/17:00 job (two a weekday).
func TestCronSlotsAcrossDaylightSaving(t *testing.T) {
	for _, tc := range []struct{ name, from, to string }{
		{"spring forward", "2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z"},
		{"fall back", "2026-10-23T12:00:00Z", "2026-10-27T12:00:00Z"},
	} {
		nightly := mustCron(t, "CRON_TZ=Europe/Berlin 30 2 * * *")
		got := slotStarts(nightly, at(t, tc.from), at(t, tc.to), time.Minute)
		if len(got) != 5 { // the slot open at the start, then one a night for 4 nights
			t.Errorf("%s: %d nightly slots over 4 days, want 5: %v", tc.name, len(got), got)
		}
		office := mustCron(t, "CRON_TZ=Europe/Berlin 0 9,17 * * *")
		if got := slotStarts(office, at(t, tc.from), at(t, tc.to), time.Minute); len(got) != 9 {
			t.Errorf("%s: %d 09:00/17:00 slots over 4 days, want 9: %v", tc.name, len(got), got)
		}
	}
}

func TestParseCronRejects(t *testing.T) {
	for _, expr := range []string{"", "* * *", "61 * * * *", "CRON_TZ=Nowhere/Else 0 * * * *", "0 0 30 2 *", "@every 1h"} {
		if _, err := ParseCron(expr); err == nil {
			t.Errorf("ParseCron(%q) accepted", expr)
		}
	}
}

func TestParseScheduleReadsWhatStringWrites(t *testing.T) {
	for _, s := range []Schedule{Every{Period: time.Hour}, Every{Period: 24 * time.Hour, Offset: 150 * time.Minute}, mustCron(t, "CRON_TZ=Europe/Berlin 0 9,17 * * 1-5")} {
		got, err := ParseSchedule(s.String())
		if err != nil || got.String() != s.String() {
			t.Errorf("ParseSchedule(%q) = %v, %v", s.String(), got, err)
		}
	}
	for _, bad := range []string{"", "1h+2h", "1h+x", "-1h"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}
