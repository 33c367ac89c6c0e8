package checker

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// checkMixedFleet judges a fleet that runs several wrappers on one lock
// path (S1 covers them all already): every wrapper that fired ran the job
// at least once, so none was starved or blind, and none crashed on what
// another left under the path (the C recipe dies of SIGSEGV on a child it
// cannot order). Nil when the fleet ran zoo-locked alone.
func checkMixedFleet(h *History) *Verdict {
	jobs := map[string]int{}
	crashed := map[string]int{}
	for _, f := range h.Firings {
		if f.Wrapper == "" {
			continue
		}
		jobs[f.Wrapper] += 0
		if f.Exit == exitcode.Signal+int(syscall.SIGSEGV) {
			crashed[f.Wrapper]++
		}
		if jobOf(h, f) != nil {
			jobs[f.Wrapper]++
		}
	}
	if len(jobs) < 2 {
		return nil
	}
	v := Verdict{Name: "mixed", Title: "every wrapper on the path works", Pass: true, Required: true}
	var parts []string
	for _, w := range slices.Sorted(maps.Keys(jobs)) {
		parts = append(parts, fmt.Sprintf("%s ran %d jobs", w, jobs[w]))
		if jobs[w] == 0 {
			v.Pass = false
		}
		if crashed[w] > 0 {
			v.Pass = false
			parts = append(parts, fmt.Sprintf("%s crashed %d times", w, crashed[w]))
		}
	}
	v.Detail = strings.Join(parts, ", ")
	return &v
}
