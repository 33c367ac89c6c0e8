package checker

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// documentedClockBound is the disagreement between a node's clock and the
// ensemble's past which the design says a firing refuses (docs/DESIGN.md,
// "Clocks"); the harness states it again rather than read the wrapper's.
const documentedClockBound = 5 * time.Second

// slotTolerance is how far from the true slot of its start a run may be
// recorded: the clocks may disagree by up to the wrapper's bound unrefused,
// a firing may come within the slot lead (at most 10 s, a twentieth of
// the slot) before a boundary, and the harness stamps a job's start a
// little after its wrapper's firing.
func slotTolerance(period time.Duration) time.Duration {
	return documentedClockBound + min(period/20, 10*time.Second) + 500*time.Millisecond
}

// checkSlots judges a --once-per trial's runs on the true clock (the
// harness's; clock faults move only the servers' and the wrappers'): at
// most one successful run per true slot, each recorded for the slot it
// truly started in (within slotTolerance), and the recorded slots never
// moving back.
func checkSlots(j judged) (Verdict, bool) {
	h := j.h
	if h.SlotPeriod <= 0 {
		return Verdict{}, false
	}
	v := Verdict{Name: "slots", Title: "once per true slot", Required: !j.exp.SlotsMustFail}
	if h.LedgerError != "" {
		v.Detail = "the ledger could not be read: " + h.LedgerError
		return v, true
	}
	period, tol := h.SlotPeriod, slotTolerance(h.SlotPeriod)
	trueSlot := func(at time.Time) time.Time { return at.Truncate(period) }
	claims := map[int64]LedgerRun{}
	for _, e := range h.SlotLedger {
		claims[e.Token] = e
	}
	perSlot := map[time.Time][]string{}
	var problems []string
	for _, iv := range j.ivs {
		claim, recorded := claims[iv.Token]
		if recorded && !claim.Succeeded() {
			continue // a failed or fenced run may be retried in its slot
		}
		// A run belongs to the slot its firing fell in: a firing that
		// waited for the lock past a boundary still runs the slot it
		// was fired for, as cron meant it.
		fired := h.Epoch.Add(firedAt(h, iv))
		slot := trueSlot(fired)
		// The claimed slot must hold the true firing, give or take tol. A
		// firing a moment before a boundary that claimed the slot about to
		// begin counts for it, as zoo-locked means an early fleet to; a
		// claim never moves a run back.
		if recorded && claim.SlotStart != nil {
			if fired.Before(claim.SlotStart.Add(-tol)) || !fired.Before(claim.SlotStart.Add(period+tol)) {
				problems = append(problems, fmt.Sprintf("%s's run fired %s (true) but was recorded for the slot from %s",
					iv.Node, fired.UTC().Format(time.RFC3339), claim.SlotStart.UTC().Format(time.RFC3339)))
			} else if fired.Before(*claim.SlotStart) {
				slot = claim.SlotStart.Truncate(period)
			}
		}
		slot = slot.UTC()
		perSlot[slot] = append(perSlot[slot], fmt.Sprintf("%s fired %s", iv.Node, fired.UTC().Format("15:04:05.0")))
	}
	slots := make([]time.Time, 0, len(perSlot))
	for s := range perSlot {
		slots = append(slots, s)
	}
	sort.Slice(slots, func(a, b int) bool { return slots[a].Before(slots[b]) })
	most := max(j.exp.Runs.Max, 1)
	counts := make([]string, 0, len(slots))
	for _, s := range slots {
		counts = append(counts, fmt.Sprint(len(perSlot[s])))
		if len(perSlot[s]) > most {
			problems = append(problems, fmt.Sprintf("%d successful runs in the true slot from %s: %s",
				len(perSlot[s]), s.UTC().Format("15:04:05"), strings.Join(perSlot[s], ", ")))
		}
	}
	var last *time.Time
	for _, e := range h.SlotLedger {
		if !e.Succeeded() || e.SlotStart == nil {
			continue
		}
		if last != nil && e.SlotStart.Before(*last) {
			problems = append(problems, fmt.Sprintf("the ledger's slot moved back from %s to %s",
				last.UTC().Format(time.RFC3339), e.SlotStart.UTC().Format(time.RFC3339)))
		}
		last = e.SlotStart
	}
	refused := 0
	for _, f := range h.Firings {
		if f.Exit == exitcode.ClockRefused {
			refused++
		}
	}
	v.Pass = len(problems) == 0
	if j.exp.SlotsMustFail {
		// The run proves the verdict sees extra runs: it passes when it does.
		v.Required, v.Pass, v.Title = true, len(problems) > 0, "once per true slot broken on purpose (clock bound off)"
	}
	v.Detail = fmt.Sprintf("successful runs per true %v slot: %s (at most %d); %d firings refused; tolerance %v",
		period, strings.Join(counts, ","), most, refused, tol)
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		v.Detail += "; " + strings.Join(problems, "; ")
	}
	return v, true
}

// firedAt is when the firing that ran a job began; the job's start when
// no firing holds it (a history recorded without firings).
func firedAt(h *History, iv Interval) time.Duration {
	for _, f := range h.Firings {
		if ranIn(iv, f) {
			return f.Start
		}
	}
	return iv.Start
}
