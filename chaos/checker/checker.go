package checker

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// Verdict is one guarantee checked against a history.
type Verdict struct {
	Name     string `json:"name"` // S1, S2, ... as in docs/DESIGN.md
	Title    string `json:"title"`
	Pass     bool   `json:"pass"`
	Required bool   `json:"required"` // false: reported, does not fail the run
	Detail   string `json:"detail"`
}

// Overlap is a span during which more jobs ran than the lock allows.
type Overlap struct {
	Start    time.Duration
	Duration time.Duration
	Nodes    []string // the jobs' nodes when it began
}

// Report is a history's verdicts and the figures behind them.
type Report struct {
	Pass          bool            `json:"pass"`
	Verdicts      []Verdict       `json:"verdicts"`
	Overlaps      int             `json:"overlaps"`
	WorstOverlap  time.Duration   `json:"worst_overlap_ns"`
	StaleAccepted int             `json:"stale_accepted"`
	StaleRejected int             `json:"stale_rejected"`
	JobsCompleted int             `json:"jobs_completed"`
	Takeovers     []time.Duration `json:"takeovers_ns"`
	WorstTakeover time.Duration   `json:"worst_takeover_ns"`
	Fenced        int             `json:"fenced"`
	// Unexplained are the wrapper exits the history does not account for.
	Unexplained []UnexplainedExit `json:"unexplained_exits,omitempty"`
	// OverlapIntervals are the overlaps themselves, for the timeline.
	OverlapIntervals []Overlap `json:"-"`
}

// judged is what every checker reads: the history, the scenario's
// expectations, and the figures computed once from the history.
type judged struct {
	h     *History
	exp   Expect
	ivs   []Interval // by start
	limit int
	r     *Report // the figures, read only: a checker judges, it does not count
	l1    takeovers
	exits Verdict
}

// checker is one named verdict; it returns false when the verdict does not
// apply to the history (a user's job's verdicts to the built-in job).
type checker struct {
	name  string
	judge func(j judged) (Verdict, bool)
}

// checkers are the verdicts, in the order the report shows them.
// zooLockedContract are the verdicts that judge zoo-locked's own
// contracts, its exit codes and its fence: a tool under --wrapper makes no
// such promise, and they say so instead of passing or failing.
var zooLockedContract = map[string]bool{"L3": true, "graceful": true, "exits": true}

var checkers = []checker{
	{"S1", checkS1},
	{"S2", checkS2},
	{"S3", checkS3},
	{"S4", func(j judged) (Verdict, bool) { return checkS4(j.h), true }},
	{"L1", func(j judged) (Verdict, bool) { return checkL1(j.l1), true }},
	{"L3", checkL3},
	{"progress", checkProgress},
	{"stuck", checkStuck},
	{"graceful", func(j judged) (Verdict, bool) { return checkGracefulStop(j.h), len(j.h.Command) > 0 }},
	{"failures", func(j judged) (Verdict, bool) { return checkJobFailures(j.h), len(j.h.Command) > 0 }},
	{"exits", func(j judged) (Verdict, bool) { return j.exits, true }},
	{"mixed", func(j judged) (Verdict, bool) {
		v := checkMixedFleet(j.h)
		if v == nil {
			return Verdict{}, false
		}
		return *v, true
	}},
	{"once", checkOncePerSlot},
	{"slots", checkSlots},
}

// measure computes, once, every figure the checkers read.
func measure(h *History, exp Expect) judged {
	r := &Report{}
	ivs := append([]Interval(nil), h.Intervals...)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start < ivs[j].Start })
	limit := max(exp.Limit, 1)
	r.OverlapIntervals = overlaps(ivs, limit)
	for _, o := range r.OverlapIntervals {
		r.Overlaps++
		r.WorstOverlap = max(r.WorstOverlap, o.Duration)
	}
	for _, iv := range ivs {
		r.StaleAccepted += iv.StaleAccepted
		r.StaleRejected += iv.Rejected
	}
	for _, f := range h.Firings {
		if f.Exit == 0 {
			r.JobsCompleted++
		}
		if f.Exit == exitcode.LockLost {
			r.Fenced++
		}
	}
	j := judged{h: h, exp: exp, ivs: ivs, limit: limit, r: r, l1: measureTakeovers(h, ivs)}
	r.Takeovers, r.WorstTakeover = j.l1.times, j.l1.worst
	j.exits, r.Unexplained = checkExits(h)
	return j
}

// Check judges a history against the guarantees, with the scenario's
// expectations: the figures first, then every checker that applies.
func Check(h *History, exp Expect) Report {
	j := measure(h, exp)
	r := *j.r
	for _, c := range checkers {
		v, ok := c.judge(j)
		if !ok {
			continue
		}
		if h.Wrapper != "" && zooLockedContract[c.name] {
			v = Verdict{Name: v.Name, Title: v.Title, Pass: true,
				Detail: "not applicable to this wrapper: it rests on zoo-locked's own exit codes (79: fenced)"}
		}
		r.Verdicts = append(r.Verdicts, v)
	}
	r.Pass = true
	for _, v := range r.Verdicts {
		if v.Required && !v.Pass {
			r.Pass = false
		}
	}
	return r
}

func checkS1(j judged) (Verdict, bool) {
	r := j.r
	v := Verdict{Name: "S1", Title: "exclusion", Pass: r.Overlaps == 0, Required: !j.exp.S1MayFail && !j.exp.S1MustFail,
		Detail: fmt.Sprintf("%d times more than %d at once, worst %v", r.Overlaps, j.limit, r.WorstOverlap.Round(time.Millisecond))}
	if j.exp.S1MustFail {
		// The run proves the checker can see an overlap: it passes when it does.
		v.Required, v.Pass, v.Title = true, r.Overlaps > 0, "exclusion broken on purpose (fence disabled)"
	}
	return v, true
}

// checkS2: no stale write accepted, and for a mutex every job's token
// above the token of every job that ended before it started. With --limit
// N there is no such order: a contender is granted together with every
// lower one still queued, and one slow to notice its grant can start after
// a later contender's job has ended (or, killed, has outlived its job by
// the session timeout). There the witness checks only that no token is
// used twice.
func checkS2(j judged) (Verdict, bool) {
	regressions, writes := 0, 0
	for _, later := range j.ivs {
		writes += later.Writes
		for _, earlier := range j.ivs {
			if j.limit == 1 && earlier.End <= later.Start && later.Token <= earlier.Token {
				regressions++
			}
		}
	}
	v := Verdict{Name: "S2", Title: "fencing", Pass: j.r.StaleAccepted == 0 && regressions == 0, Required: true,
		Detail: fmt.Sprintf("%d stale writes accepted, %d refused, %d token regressions", j.r.StaleAccepted, j.r.StaleRejected, regressions)}
	if len(j.h.Command) > 0 && writes == 0 && v.Pass {
		v.Detail = "not applicable: the job wrote nothing to the witness's fenced resource"
	}
	if j.h.Wrapper != "" && !slices.ContainsFunc(j.ivs, func(iv Interval) bool { return iv.Token != 0 }) {
		v = Verdict{Name: "S2", Title: "fencing", Pass: true,
			Detail: "not applicable to this wrapper: it handed its jobs no token (ZOOLOCKED_TOKEN)"}
	}
	return v, true
}

func checkS3(j judged) (Verdict, bool) {
	return Verdict{Name: "S3", Title: "no orphans", Pass: len(j.h.Orphans) == 0, Required: true,
		Detail: fmt.Sprintf("%d processes of the run still alive %v", len(j.h.Orphans), j.h.Orphans)}, true
}

func checkL3(j judged) (Verdict, bool) {
	return Verdict{Name: "L3", Title: "ride-through", Pass: j.r.Fenced == 0, Required: j.exp.RideThrough,
		Detail: fmt.Sprintf("%d jobs fenced (exit %d)", j.r.Fenced, exitcode.LockLost)}, true
}

func checkProgress(j judged) (Verdict, bool) {
	return Verdict{Name: "progress", Title: "jobs completed", Pass: j.r.JobsCompleted > 0, Required: true,
		Detail: fmt.Sprintf("%d wrapper runs exited 0", j.r.JobsCompleted)}, true
}

func checkStuck(j judged) (Verdict, bool) {
	return Verdict{Name: "stuck", Title: "no lock left behind", Pass: len(j.h.LeftZnodes) == 0, Required: true,
		Detail: fmt.Sprintf("%d znodes left under the lock path %v", len(j.h.LeftZnodes), j.h.LeftZnodes)}, true
}

// checkOncePerSlot bounds the runs of a --once-per workload within one slot.
func checkOncePerSlot(j judged) (Verdict, bool) {
	n := len(j.h.Intervals)
	return Verdict{Name: "once", Title: "runs per slot", Required: true, Pass: n >= j.exp.Runs.Min && n <= j.exp.Runs.Max,
		Detail: fmt.Sprintf("%d jobs started in one slot (allowed %d–%d)", n, j.exp.Runs.Min, j.exp.Runs.Max)}, j.exp.Runs.Max > 0
}

// overlaps sweeps the intervals and returns every span during which more
// than limit jobs ran.
func overlaps(ivs []Interval, limit int) []Overlap {
	type event struct {
		at    time.Duration
		delta int
		node  string
	}
	var events []event
	for _, iv := range ivs {
		events = append(events, event{iv.Start, +1, iv.Node}, event{iv.End, -1, iv.Node})
	}
	// Ends before starts at the same instant: touching is not overlapping.
	sort.Slice(events, func(i, j int) bool {
		if events[i].at != events[j].at {
			return events[i].at < events[j].at
		}
		return events[i].delta < events[j].delta
	})
	var out []Overlap
	running := map[string]int{}
	count := 0
	var open *Overlap
	for _, e := range events {
		count += e.delta
		running[e.node] += e.delta
		switch {
		case count > limit && open == nil:
			o := Overlap{Start: e.at}
			for n, k := range running {
				for range k {
					o.Nodes = append(o.Nodes, n)
				}
			}
			sort.Strings(o.Nodes)
			open = &o
		case count <= limit && open != nil:
			open.Duration = e.at - open.Start
			out = append(out, *open)
			open = nil
		}
	}
	return out
}

// MostAtOnce is the largest number of the intervals that ran at one
// instant (touching is not overlapping).
func MostAtOnce(ivs []Interval) int {
	most := 0
	for limit := 0; ; limit++ {
		if len(overlaps(ivs, limit)) == 0 {
			return most
		}
		most = limit + 1
	}
}

// checkS4: a node's job never outlives its wrapper, whose exit follows the
// release; a job interval ending after its wrapper exited means the lock
// was let go with the job alive.
func checkS4(h *History) Verdict {
	late := 0
	// The witness sees the socket close a moment after the process dies.
	const slack = 200 * time.Millisecond
	for _, iv := range h.Intervals {
		for _, f := range h.Firings {
			if f.Node == iv.Node && f.Start <= iv.Start && iv.Start <= f.End && iv.End > f.End+slack {
				late++
			}
		}
	}
	return Verdict{Name: "S4", Title: "release only after death", Pass: late == 0, Required: true,
		Detail: fmt.Sprintf("%d jobs outlived their wrapper", late)}
}

// keeperCloseBound is L1's bound when only the holder's wrapper died: its
// keeper, alive on a live host, ends the session once the job's tree is
// dead, so no session timeout is waited out.
const keeperCloseBound = time.Second

// takeoverBound is how soon a waiter must take over after fault f: at
// once when f killed a zoo-locked wrapper only, else when ZooKeeper
// expires the session, on the first tick boundary after T.
func takeoverBound(h *History, f faults.FaultWindow) time.Duration {
	if f.Kind == faults.KillWrapperKind.Name && h.Wrapper == "" && slices.ContainsFunc(h.Firings, func(g Firing) bool {
		return g.Node == f.Target && g.Start <= f.InEffect && g.End >= f.InEffect && (g.Wrapper == "" || strings.HasPrefix(g.Wrapper, "zoo-locked"))
	}) {
		return keeperCloseBound
	}
	return h.SessionTimeout + h.TickTime + time.Second
}

// takeovers are L1's figures: after every fault that took the holder
// away, how long until another job started.
type takeovers struct {
	times              []time.Duration
	worst, expiry      time.Duration
	missed, confounded int
}

func measureTakeovers(h *History, ivs []Interval) takeovers {
	t := takeovers{expiry: h.SessionTimeout + h.TickTime + time.Second}
	for i, f := range h.Faults {
		if !f.HolderLoss || f.Error != "" {
			continue
		}
		bound := takeoverBound(h, f)
		// Another fault in the takeover window (quorum loss, a killed
		// leader), or an ensemble without a leader, may rightly delay it:
		// that takeover says nothing of L1.
		if overlapsOther(h.Faults, i, f.InEffect, f.InEffect+bound) || leaderless(h, Firing{Start: f.InEffect, End: f.InEffect + bound}) {
			t.confounded++
			continue
		}
		next := time.Duration(-1)
		for _, iv := range ivs {
			if iv.Start > f.InEffect {
				next = iv.Start - f.InEffect
				break
			}
		}
		if next < 0 {
			t.missed++
			continue
		}
		t.times = append(t.times, next)
		t.worst = max(t.worst, next)
		if next > bound {
			t.missed++
		}
	}
	return t
}

// checkL1 judges each takeover against its bound.
func checkL1(t takeovers) Verdict {
	return Verdict{Name: "L1", Title: "takeover", Pass: t.missed == 0, Required: true,
		Detail: fmt.Sprintf("%d takeovers, worst %v (bound %v when only the wrapper died, else T+tick+1s = %v), %d missed, %d not judged (another fault or no leader in the window)",
			len(t.times), t.worst.Round(time.Millisecond), keeperCloseBound, t.expiry, t.missed, t.confounded)}
}

func overlapsOther(faults []faults.FaultWindow, self int, from, to time.Duration) bool {
	for j, g := range faults {
		if j != self && g.EffectFrom() < to && g.End > from {
			return true
		}
	}
	return false
}

// ExcusingFaults names the faults of the run under which breaking the
// verdict is expected: S1 under a pause of the holder (no lock service
// can stop a process it cannot schedule).
func ExcusingFaults(verdict string, windows []faults.FaultWindow) string {
	var names []string
	for _, f := range windows {
		if verdict == "S1" && f.Spec.Kind == faults.PauseWrapperKind.Name {
			names = append(names, f.Name)
		}
	}
	return strings.Join(slices.Compact(names), ", ")
}
