package checker

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
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

func explainExit(h *History, f Firing, job *Interval, around []faults.FaultWindow) string {
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
	case f.Exit == exitcode.LockLost && slices.ContainsFunc(around, func(w faults.FaultWindow) bool { return couldCostLock(w, f.Node) }):
		return "fenced under a fault"
	case f.Exit == exitcode.Unavailable && slices.ContainsFunc(around, func(w faults.FaultWindow) bool { return couldKeepFromQuorum(w, f.Node) }):
		return "no quorum under a fault"
	// An ensemble may stay without a leader after a fault has healed (an
	// election under tickTime 2 s takes seconds): no quorum serves then.
	case (f.Exit == exitcode.LockLost || f.Exit == exitcode.Unavailable) && leaderless(h, f):
		return "no leader in the ensemble"
	// Measured here, a server whose wall clock stepped or drifted
	// (through faketime) answered its clients in seconds for a while,
	// until some time after it was set right: a wrapper may give up on
	// it, or be fenced, as under any slow server. Nothing ran twice.
	case (f.Exit == exitcode.LockLost || f.Exit == exitcode.Unavailable) && serverClockAround(h, f):
		return "slow server under a clock fault"
	case f.Exit == exitcode.ClockRefused && clockAround(h, f):
		return "refused: clocks disagreed under a clock fault"
	case f.Exit == exitcode.Signal+int(syscall.SIGKILL) && slices.ContainsFunc(around, func(w faults.FaultWindow) bool {
		return w.Kind == faults.KillWrapperKind.Name && w.Target == f.Node
	}):
		return "killed by a fault"
	}
	return ""
}

// jobOf is the job the firing ran: one that started on its node while it
// ran.
func jobOf(h *History, f Firing) *Interval {
	for i, iv := range h.Intervals {
		if ranIn(iv, f) {
			return &h.Intervals[i]
		}
	}
	return nil
}

// ranIn says the job started on the firing's node while the firing ran.
func ranIn(iv Interval, f Firing) bool {
	return iv.Node == f.Node && f.Start <= iv.Start && iv.Start <= f.End
}

// faultsAround lists the fault windows open at any time during the firing
// (a fault still open at the end of the trial is open until then).
func faultsAround(h *History, f Firing) []faults.FaultWindow {
	var out []faults.FaultWindow
	for _, w := range h.Faults {
		if w.EffectFrom() <= f.End && w.EffectUntil(math.MaxInt64) >= f.Start {
			out = append(out, w)
		}
	}
	return out
}

// clockLag is how long after a server's clock is set right its wrappers
// may still see the old offset: the server re-reads its clock each second,
// and a firing measures it at its grant.
const clockLag = 2 * time.Second

// clockAround says a clock fault was open during the firing, or healed
// within clockLag before it began: a server's fault for any node (it may
// lead), a node's for that node.
func clockAround(h *History, f Firing) bool {
	return faultNear(h, f, clockLag, func(w faults.FaultWindow) bool {
		return faults.IsClockFault(w.Kind) && (w.Kind != faults.NodeClockKind.Name || w.Target == f.Node)
	})
}

// serverClockLag is how long after a server's clock is set right its
// clients may still find it slow.
const serverClockLag = 10 * time.Second

// serverClockAround says a server's clock fault was open during the
// firing, or healed within serverClockLag before it began.
func serverClockAround(h *History, f Firing) bool {
	return faultNear(h, f, serverClockLag, func(w faults.FaultWindow) bool {
		return w.Kind == faults.ClockJumpKind.Name || w.Kind == faults.ClockDriftKind.Name
	})
}

// faultNear says a fault that matches was open during the firing, or
// healed within lag before it began.
func faultNear(h *History, f Firing, lag time.Duration, matches func(faults.FaultWindow) bool) bool {
	return slices.ContainsFunc(h.Faults, func(w faults.FaultWindow) bool {
		return matches(w) && w.EffectFrom() <= f.End && w.EffectUntil(math.MaxInt64)+lag >= f.Start
	})
}

// couldCostLock: faults on the servers or on every node can cost any
// holder its lock; those aimed at a node, only that node's.
func couldCostLock(w faults.FaultWindow, node string) bool {
	switch w.Kind {
	case faults.PartitionKind.Name, faults.PauseWrapperKind.Name:
		return w.Target == node
	case faults.KillWrapperKind.Name, faults.ClockJumpKind.Name, faults.ClockDriftKind.Name, faults.NodeClockKind.Name:
		return false
	}
	return true
}

// couldKeepFromQuorum: what can keep a node from a session within the
// connect timeout.
func couldKeepFromQuorum(w faults.FaultWindow, node string) bool {
	switch w.Kind {
	case faults.PartitionKind.Name:
		return w.Target == node
	case faults.KillWrapperKind.Name, faults.PauseWrapperKind.Name, faults.ClockJumpKind.Name, faults.ClockDriftKind.Name, faults.NodeClockKind.Name:
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
		v.Detail += fmt.Sprintf("; UNEXPLAINED: %s on %s exited %d at %v (%s)", u.Firing.WrapperName(), u.Firing.Node,
			u.Firing.Exit, u.Firing.End.Round(time.Millisecond), faults)
	}
	return v, unexplained
}

func (f Firing) WrapperName() string {
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
		if l.At <= f.End && h.LeaderEnd(i, h.Duration) >= f.Start {
			return true
		}
	}
	return false
}
