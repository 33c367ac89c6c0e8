package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
	"github.com/zoo-locked/zoo-locked/lock"
)

// Exit codes of check, in the monitoring-plugin convention (Nagios,
// Icinga, Sensu): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A slot without a
// successful run is a WARNING: the next firing may still mend it, and
// a plugin's check definition can raise it.
const (
	checkOK      = 0
	checkMissed  = 1
	checkUnknown = 3
)

// checkVerdict is check's one line, and its --json.
type checkVerdict struct {
	Status    string          `json:"status"` // OK, WARNING, UNKNOWN
	Code      int             `json:"code"`
	Lock      string          `json:"lock"`
	What      string          `json:"what"` // ran, not-due, missed, failed, fenced, lost, stopped, refused, running, paused, unknown
	Detail    string          `json:"detail"`
	SlotStart *time.Time      `json:"slot_start,omitempty"`
	SlotEnd   *time.Time      `json:"slot_end,omitempty"`
	Run       *fleet.RunEntry `json:"run,omitempty"`
	// Attempts counts the slot's runs that did not succeed.
	Attempts int          `json:"attempts,omitempty"`
	Paused   *fleet.Pause `json:"paused,omitempty"`
}

// check is the fleet's dead-man's switch: did the last slot that has ended
// (or, with --max-age, the last DUR) have a successful run, on any node?
func check(o options, out io.Writer) int {
	v := checkVerdict{Lock: o.cfg.Name}
	s, err := lock.Connect(context.Background(), o.cfg.Session)
	if err != nil {
		v = unknown(v, "cannot reach ZooKeeper: "+err.Error())
	} else {
		defer s.Close()
		st, err := fleet.Inspect(s.Conn(), o.cfg.Root, o.cfg.Name, o.cfg.Contenders)
		if err != nil {
			v = unknown(v, "cannot read the lock: "+err.Error())
		} else {
			v = judge(st, o.cfg.OncePer, o.maxAge, time.Now())
		}
	}
	if o.json {
		b, _ := json.Marshal(v) // plain fields only
		fmt.Fprintln(out, string(b))
	} else {
		fmt.Fprintf(out, "%s %s: %s\n", v.Status, v.Lock, v.Detail)
	}
	return v.Code
}

func unknown(v checkVerdict, why string) checkVerdict {
	v.Status, v.Code, v.What, v.Detail = "UNKNOWN", checkUnknown, "unknown", why
	return v
}

// judge decides from the lock's record and ledger. The schedule is the
// one given, else the one the lock's record was made under.
func judge(st fleet.LockStatus, sched schedule.Schedule, maxAge time.Duration, now time.Time) checkVerdict {
	v := checkVerdict{Lock: st.Name}
	if p := st.Paused; p != nil {
		// Paused on purpose: no run was due, so none is missing.
		v.Status, v.Code, v.What, v.Paused = "OK", checkOK, "paused", p
		v.Detail = fmt.Sprintf("paused by %s since %s, %s%s", p.By, p.Since.Format(time.RFC3339), "until "+p.EndsAt(), reasonText(p.Reason))
		return v
	}
	if r := lastRefusal(st.Runs); r != nil {
		// Whatever the last slot did, the next firings refuse until the
		// clocks agree: nothing runs, and that is no OK.
		v.Status, v.Code, v.What, v.Run = "WARNING", checkMissed, "refused", r
		v.Detail = fmt.Sprintf("firings on %s refuse since %s: %s", r.Host, r.Start.Format(time.RFC3339), r.Reason)
		return v
	}
	if maxAge > 0 {
		return judgeAge(v, st, maxAge, now)
	}
	if sched == nil && st.LastRun != nil {
		var err error
		if sched, err = schedule.ParseSchedule(st.LastRun.Schedule); err != nil {
			return unknown(v, fmt.Sprintf("the record's schedule %q: %v", st.LastRun.Schedule, err))
		}
	}
	if sched == nil {
		return unknown(v, "no schedule: the lock has no --once-per record yet; pass --once-per SCHEDULE, or --max-age DUR for a plain lock")
	}
	current, _ := sched.Slot(now)
	start, end := sched.Slot(current.Add(-time.Nanosecond))
	v.SlotStart, v.SlotEnd = &start, &end
	slot := fmt.Sprintf("slot %s–%s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	if r := st.LastRun; r != nil && r.Schedule == sched.String() && r.SlotStart.Equal(start) {
		v.Status, v.Code, v.What = "OK", checkOK, "ran"
		v.Detail = fmt.Sprintf("%s ran on %s at %s", slot, r.Host, r.Start.Format(time.RFC3339))
		return v
	}
	var last *fleet.RunEntry
	for i := range st.Runs {
		r := st.Runs[i]
		if r.SlotStart == nil || !r.SlotStart.Equal(start) {
			continue
		}
		if r.Succeeded() {
			v.Status, v.Code, v.What, v.Run = "OK", checkOK, "ran", &r
			v.Detail = fmt.Sprintf("%s ran on %s at %s", slot, r.Host, r.Start.Format(time.RFC3339))
			return v
		}
		last = &r
	}
	if last == nil && st.FirstSeen != nil && !end.After(*st.FirstSeen) {
		v.Status, v.Code, v.What = "OK", checkOK, "not-due"
		v.Detail = fmt.Sprintf("%s ended before the job's first firing (%s)", slot, st.FirstSeen.Format(time.RFC3339))
		return v
	}
	if last == nil {
		v.Status, v.Code, v.What = "WARNING", checkMissed, "missed"
		v.Detail = fmt.Sprintf("%s missed: no node ran it", slot)
		return v
	}
	if v.Attempts = fleet.FailedInSlot(st.Runs, start); v.Attempts > 1 {
		slot += fmt.Sprintf(" failed after %d attempts; the last", v.Attempts)
	}
	return notOK(v, *last, slot)
}

// lastRefusal is the latest clock refusal with no successful run after
// it, or nil: once a firing runs, the clocks agreed again.
func lastRefusal(runs []fleet.RunEntry) *fleet.RunEntry {
	for i := len(runs) - 1; i >= 0; i-- {
		switch r := runs[i]; {
		case r.Succeeded():
			return nil
		case r.Ending == fleet.EndRefused:
			return &r
		}
	}
	return nil
}

// judgeAge: a successful run must have started within maxAge.
func judgeAge(v checkVerdict, st fleet.LockStatus, maxAge time.Duration, now time.Time) checkVerdict {
	var last *fleet.RunEntry
	for i := len(st.Runs) - 1; i >= 0; i-- {
		r := st.Runs[i]
		if now.Sub(r.Start) > maxAge {
			break
		}
		if r.Ending == fleet.EndReset {
			continue // an operator's act, not a run
		}
		if r.Succeeded() {
			v.Status, v.Code, v.What, v.Run = "OK", checkOK, "ran", &r
			v.Detail = fmt.Sprintf("ran on %s at %s (within %v)", r.Host, r.Start.Format(time.RFC3339), maxAge)
			return v
		}
		if last == nil {
			last = &r
		}
	}
	within := fmt.Sprintf("no successful run started within %v", maxAge)
	if last == nil {
		v.Status, v.Code, v.What, v.Detail = "WARNING", checkMissed, "missed", within+": no node ran it"
		return v
	}
	return notOK(v, *last, within)
}

// notOK says what became of the last run where a success was due.
func notOK(v checkVerdict, r fleet.RunEntry, where string) checkVerdict {
	v.Run, v.What = &r, r.State
	if r.State == "running" {
		v.Status, v.Code = "UNKNOWN", checkUnknown
		v.Detail = fmt.Sprintf("%s: a run is still going on %s since %s", where, r.Host, r.Start.Format(time.RFC3339))
		return v
	}
	v.Status, v.Code = "WARNING", checkMissed
	switch r.State {
	case "failed":
		v.Detail = fmt.Sprintf("%s failed on %s (exit %d)", where, r.Host, *r.Exit)
	case "fenced":
		v.Detail = fmt.Sprintf("%s: the run on %s was fenced (%s)", where, r.Host, r.Reason)
	case "lost":
		v.Detail = fmt.Sprintf("%s: the run on %s was lost (its holder crashed or lost the lock)", where, r.Host)
	default:
		why := r.Reason
		if why == "" {
			why = r.Ending
		}
		v.Detail = fmt.Sprintf("%s: the run on %s was stopped (%s)", where, r.Host, why)
	}
	return v
}
