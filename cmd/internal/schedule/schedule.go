package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrBadSchedule: a schedule that cannot be read or never fires.
var ErrBadSchedule = errors.New("bad schedule")

// Schedule cuts time into the slots of a --once-per job: a run belongs to
// the slot in which it started, and a slot runs at most once successfully.
type Schedule interface {
	// Slot is the slot that contains t: [start, end).
	Slot(t time.Time) (start, end time.Time)
	// String is the schedule as a record keeps it: a record made under
	// another schedule never makes a run skip.
	String() string
}

// Every is a schedule of equal slots counted from the Unix epoch in UTC,
// shifted by Offset: Every{24h, 2h30m} runs once a day from 02:30 UTC to
// 02:30 UTC.
type Every struct {
	Period, Offset time.Duration
}

// Slot implements Schedule.
func (e Every) Slot(t time.Time) (start, end time.Time) {
	d := t.UTC().Sub(time.Unix(0, 0).UTC()) - e.Offset
	k := int64(d / e.Period)
	if d < 0 && d%e.Period != 0 {
		k--
	}
	start = time.Unix(0, 0).UTC().Add(time.Duration(k)*e.Period + e.Offset)
	return start, start.Add(e.Period)
}

func (e Every) String() string {
	if e.Offset == 0 {
		return e.Period.String()
	}
	return fmt.Sprintf("%v+%v", e.Period, e.Offset)
}

// cronSchedule is a schedule of cron firings: a slot runs from one firing
// to the next, so a weekday 09:00/17:00 job has two slots a weekday. The
// fields are read on the zone's wall clock, as cron reads them, and a
// daylight-saving change neither adds nor drops a slot: a firing the
// spring gap skips happens at the first instant after the gap, and one
// that autumn repeats happens at its first occurrence only (robfig/cron
// alone drops the first and doubles the second).
type cronSchedule struct {
	expr string
	wall cron.Schedule // on wall-clock times written as UTC
	loc  *time.Location
}

// cronParser reads the standard five fields (and @daily-style shorthands).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron reads a cron expression: "0 * * * *", "30 2 * * *",
// "CRON_TZ=Europe/Berlin 0 9,17 * * 1-5". Without CRON_TZ= (or TZ=) the
// fields are read in UTC.
func ParseCron(expr string) (Schedule, error) {
	expr = strings.Join(strings.Fields(expr), " ")
	fields, loc := expr, time.UTC
	if zone, rest, ok := strings.Cut(expr, " "); ok && (strings.HasPrefix(zone, "CRON_TZ=") || strings.HasPrefix(zone, "TZ=")) {
		_, name, _ := strings.Cut(zone, "=")
		var err error
		if loc, err = time.LoadLocation(name); err != nil {
			return nil, fmt.Errorf("%w: cron expression %q: unknown time zone %q", ErrBadSchedule, expr, name)
		}
		fields = rest
	}
	if strings.HasPrefix(fields, "@every") {
		return nil, fmt.Errorf("%w: cron expression %q: give a duration instead of @every", ErrBadSchedule, expr)
	}
	wall, err := cronParser.Parse(fields)
	if err != nil {
		return nil, fmt.Errorf("%w: cron expression %q: %v", ErrBadSchedule, expr, err)
	}
	c := cronSchedule{expr: expr, wall: wall, loc: loc}
	if wall.Next(time.Now().UTC()).IsZero() {
		return nil, fmt.Errorf("%w: cron expression %q never fires", ErrBadSchedule, expr)
	}
	return c, nil
}

// Slot implements Schedule: from the latest firing at or before t to the
// next one after it. robfig/cron only counts forwards, so the walk starts
// far enough back that a firing lies between there and t, looking back
// ever further (a yearly job needs a year).
func (c cronSchedule) Slot(t time.Time) (start, end time.Time) {
	for back := time.Minute; back <= 8*366*24*time.Hour; back *= 4 {
		w := c.wall.Next(c.toWall(t).Add(-back))
		if w.IsZero() {
			break
		}
		f := c.fromWall(w)
		if f.After(t) {
			continue
		}
		for {
			w = c.wall.Next(w)
			if w.IsZero() {
				return f, time.Time{}
			}
			if next := c.fromWall(w); next.After(t) {
				return f, next
			}
			f = c.fromWall(w)
		}
	}
	return time.Time{}, c.fromWall(c.wall.Next(c.toWall(t)))
}

// toWall is t's reading on the zone's wall clock, written as UTC.
func (c cronSchedule) toWall(t time.Time) time.Time {
	l := t.In(c.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// fromWall is the first instant whose wall-clock reading is w or, for a
// reading that a spring gap skips, the first instant after the gap.
func (c cronSchedule) fromWall(w time.Time) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), c.loc)
	if c.toWall(t).Equal(w) {
		// Repeated in autumn: take the first of the two.
		for _, earlier := range []time.Duration{2 * time.Hour, time.Hour, 30 * time.Minute} {
			if e := t.Add(-earlier); c.toWall(e).Equal(w) {
				return e
			}
		}
		return t
	}
	// In the gap: search the instant the wall clock first passes w.
	lo, hi := t.Add(-3*time.Hour), t.Add(3*time.Hour)
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if c.toWall(mid).Before(w) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi.Truncate(time.Second)
}

func (c cronSchedule) String() string { return c.expr }

// ParseSchedule reads a schedule as Schedule.String writes it: a duration
// ("1h0m0s"), a duration with an offset ("24h0m0s+2h30m0s"), or a cron
// expression.
func ParseSchedule(s string) (Schedule, error) {
	period, offset, hasOffset := strings.Cut(s, "+")
	if p, err := time.ParseDuration(period); err == nil && p > 0 {
		e := Every{Period: p}
		if hasOffset {
			if e.Offset, err = time.ParseDuration(offset); err != nil || e.Offset < 0 || e.Offset >= p {
				return nil, fmt.Errorf("%w: schedule %q: bad offset", ErrBadSchedule, s)
			}
		}
		return e, nil
	}
	return ParseCron(s)
}
