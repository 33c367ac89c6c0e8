package chaos

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/lock/exitcode"
)

// UnexplainedExit is a wrapper's exit that nothing in the history
// accounts for: a bug, or a fault the wrapper should have ridden through.
type UnexplainedExit struct {
	Firing Firing   `json:"firing"`
	Faults []string `json:"faults"` // the fault windows around it
}

// explainExits accounts for every wrapper's exit status from the history:
// the job's own status; busy (75, or 0 for a wrapper that tries once, or a
// --once-per slot that ran); fenced (79) only under a fault that could cost
// the holder its lock; unavailable (69) only under one that could keep the
// node from a quorum; 128+n only for a signal a fault sent. An internal
// error (70) is never explained.
func explainExits(h *History) (why map[string]int, unexplained []UnexplainedExit) {
	why = map[string]int{}
	for _, f := range h.Firings {
		around := faultsAround(h, f)
		reason := explainExit(h, f, jobOf(h, f), around)
		if reason != "" {
			why[reason]++
			continue
		}
		u := UnexplainedExit{Firing: f}
		for _, w := range around {
			u.Faults = append(u.Faults, w.Name)
		}
		unexplained = append(unexplained, u)
	}
	return why, unexplained
}

func explainExit(h *History, f Firing, job *Interval, around []FaultWindow) string {
	triesOnce := f.Wrapper == WrapperClassic || f.Wrapper == RecipeC
	switch {
	case f.Exit == exitcode.Internal:
		return ""
	case job != nil && job.Exit != nil && f.Exit == *job.Exit:
		return "the job's status"
	// The built-in job reports no status: it ends 0, or 3 once the fenced
	// resource refused it (S2 at work).
	case job != nil && job.Exit == nil && (f.Exit == 0 || f.Exit == 3):
		return "the job's status"
	case job == nil && f.Exit == exitcode.Busy:
		return "busy"
	case job == nil && f.Exit == 0 && triesOnce:
		return "busy (tried once)"
	case job == nil && f.Exit == 0 && h.OncePer:
		return "its slot had run"
	case f.Exit == exitcode.LockLost && slices.ContainsFunc(around, func(w FaultWindow) bool { return couldCostLock(w, f.Node) }):
		return "fenced under a fault"
	case f.Exit == exitcode.Unavailable && slices.ContainsFunc(around, func(w FaultWindow) bool { return couldKeepFromQuorum(w, f.Node) }):
		return "no quorum under a fault"
	// An ensemble may stay without a leader after a fault has healed (an
	// election under tickTime 2 s takes seconds): no quorum serves then.
	case (f.Exit == exitcode.LockLost || f.Exit == exitcode.Unavailable) && leaderless(h, f):
		return "no leader in the ensemble"
	case f.Exit == exitcode.Signal+int(syscall.SIGKILL) && slices.ContainsFunc(around, func(w FaultWindow) bool {
		return w.Kind == "kill-wrapper" && w.Target == f.Node
	}):
		return "killed by a fault"
	}
	return ""
}

// jobOf is the job the firing ran: one that started on its node while it
// ran.
func jobOf(h *History, f Firing) *Interval {
	for i, iv := range h.Intervals {
		if iv.Node == f.Node && iv.Start >= f.Start && iv.Start <= f.End {
			return &h.Intervals[i]
		}
	}
	return nil
}

// faultsAround lists the fault windows open at any time during the firing
// (a fault still open at the end of the trial is open until then).
func faultsAround(h *History, f Firing) []FaultWindow {
	var out []FaultWindow
	for _, w := range h.Faults {
		if w.effectFrom() <= f.End && w.effectUntil(math.MaxInt64) >= f.Start {
			out = append(out, w)
		}
	}
	return out
}

// couldCostLock: faults on the servers or on every node can cost any
// holder its lock; those aimed at a node, only that node's.
func couldCostLock(w FaultWindow, node string) bool {
	switch w.Kind {
	case "partition", "pause-wrapper":
		return w.Target == node
	case "kill-wrapper":
		return false
	}
	return true
}

// couldKeepFromQuorum: what can keep a node from a session within the
// connect timeout.
func couldKeepFromQuorum(w FaultWindow, node string) bool {
	switch w.Kind {
	case "partition":
		return w.Target == node
	case "kill-wrapper", "pause-wrapper":
		return false
	}
	return true
}

// checkExits is the verdict: every exit explained.
func checkExits(h *History) (Verdict, []UnexplainedExit) {
	why, unexplained := explainExits(h)
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(why)) {
		parts = append(parts, fmt.Sprintf("%d %s", why[reason], reason))
	}
	v := Verdict{Name: "exits", Title: "every exit explained", Required: true, Pass: len(unexplained) == 0,
		Detail: fmt.Sprintf("%d exits: %s", len(h.Firings), strings.Join(parts, ", "))}
	for i, u := range unexplained {
		if i == 3 {
			v.Detail += fmt.Sprintf("; and %d more", len(unexplained)-3)
			break
		}
		faults := "no fault around it"
		if len(u.Faults) > 0 {
			faults = "faults around it: " + strings.Join(u.Faults, ", ")
		}
		v.Detail += fmt.Sprintf("; UNEXPLAINED: %s on %s exited %d at %v (%s)", u.Firing.wrapperName(), u.Firing.Node,
			u.Firing.Exit, u.Firing.End.Round(time.Millisecond), faults)
	}
	return v, unexplained
}

func (f Firing) wrapperName() string {
	if f.Wrapper == "" {
		return WrapperZooLocked
	}
	return f.Wrapper
}

// leaderless says the ensemble had no leader at some time during the
// firing, as the harness saw it.
func leaderless(h *History, f Firing) bool {
	for i, l := range h.Leaders {
		if l.Leader != 0 {
			continue
		}
		if l.At <= f.End && h.leaderEnd(i, h.Duration) >= f.Start {
			return true
		}
	}
	return false
}
