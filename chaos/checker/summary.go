package checker

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// Summary is a long run's account in one table: what the jobs did, why
// each fenced one was fenced, whether each overlap fell inside a pause,
// and what no fault explains.
type Summary struct {
	JobsHeld, JobsCompleted int
	FencedBy                map[string]int // fault kind (or "no fault") → jobs fenced
	Overlaps, InPause       int
	StaleAccepted           int
	StaleRefused            int
	Unexplained             int
}

// Summarize reads the account off a history and its verdicts.
func Summarize(h *History, rep Report) Summary {
	s := Summary{JobsHeld: len(h.Intervals), FencedBy: map[string]int{}, Overlaps: rep.Overlaps,
		StaleAccepted: rep.StaleAccepted, StaleRefused: rep.StaleRejected, Unexplained: len(rep.Unexplained)}
	for _, f := range h.Firings {
		if jobOf(h, f) != nil && f.Exit == 0 {
			s.JobsCompleted++
		}
		if f.Exit != exitcode.LockLost {
			continue
		}
		cause := "no fault"
		for _, w := range faultsAround(h, f) {
			if couldCostLock(w, f.Node) {
				cause = w.Kind
				break
			}
		}
		s.FencedBy[cause]++
	}
	for _, o := range rep.OverlapIntervals {
		for _, w := range h.Faults {
			if w.Kind == faults.PauseWrapperKind.Name && w.EffectFrom() <= o.Start+o.Duration && w.EffectUntil(h.Duration) >= o.Start {
				s.InPause++
				break
			}
		}
	}
	return s
}

// Table prints the summary as aligned lines.
func (s Summary) Table(duration time.Duration) string {
	var b strings.Builder
	fenced := 0
	var causes []string
	for _, kind := range slices.Sorted(maps.Keys(s.FencedBy)) {
		fenced += s.FencedBy[kind]
		causes = append(causes, fmt.Sprintf("%s %d", kind, s.FencedBy[kind]))
	}
	fmt.Fprintf(&b, "  %-20s %v\n", "run", duration.Round(time.Second))
	fmt.Fprintf(&b, "  %-20s %d\n", "jobs held", s.JobsHeld)
	fmt.Fprintf(&b, "  %-20s %d\n", "jobs completed", s.JobsCompleted)
	if fenced == 0 {
		fmt.Fprintf(&b, "  %-20s 0\n", "jobs fenced")
	} else {
		fmt.Fprintf(&b, "  %-20s %d (%s)\n", "jobs fenced", fenced, strings.Join(causes, ", "))
	}
	fmt.Fprintf(&b, "  %-20s %d (%d inside a pause of the holder, %d outside)\n", "overlaps", s.Overlaps, s.InPause, s.Overlaps-s.InPause)
	fmt.Fprintf(&b, "  %-20s %d accepted, %d refused\n", "stale writes", s.StaleAccepted, s.StaleRefused)
	fmt.Fprintf(&b, "  %-20s %d\n", "unexplained exits", s.Unexplained)
	return b.String()
}
