package chaos

import (
	"fmt"
	"sort"
	"time"

	"github.com/zoo-locked/zoo-locked/lock/exitcode"
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
	Pass             bool            `json:"pass"`
	Verdicts         []Verdict       `json:"verdicts"`
	Overlaps         int             `json:"overlaps"`
	WorstOverlap     time.Duration   `json:"worst_overlap_ns"`
	StaleAccepted    int             `json:"stale_accepted"`
	StaleRejected    int             `json:"stale_rejected"`
	JobsCompleted    int             `json:"jobs_completed"`
	Takeovers        []time.Duration `json:"takeovers_ns"`
	WorstTakeover    time.Duration   `json:"worst_takeover_ns"`
	Fenced           int             `json:"fenced"`
	overlapIntervals []Overlap
}

// Check judges a history against the guarantees, with the scenario's
// expectations.
func Check(h *History, exp Expect) Report {
	var r Report
	ivs := append([]Interval(nil), h.Intervals...)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start < ivs[j].Start })
	limit := max(exp.Limit, 1)
	r.overlapIntervals = overlaps(ivs, limit)
	for _, o := range r.overlapIntervals {
		r.Overlaps++
		r.WorstOverlap = max(r.WorstOverlap, o.Duration)
	}
	for _, iv := range ivs {
		r.StaleAccepted += iv.StaleAccepted
		r.StaleRejected += iv.Rejected
	}
	// For a mutex, S2 also needs every job's token above the token of every
	// job that ended before it started. With --limit N there is no such
	// order: a contender is granted together with every lower one still
	// queued, and one slow to notice its grant can start after a later
	// contender's job has ended (or, killed, has outlived its job by the
	// session timeout). There the witness checks only that no token is
	// used twice.
	tokenRegressions := 0
	for _, later := range ivs {
		for _, earlier := range ivs {
			if limit == 1 && earlier.End <= later.Start && later.Token <= earlier.Token {
				tokenRegressions++
			}
		}
	}
	for _, w := range h.Firings {
		if w.Exit == 0 {
			r.JobsCompleted++
		}
		if w.Exit == exitcode.LockLost {
			r.Fenced++
		}
	}
	s1 := Verdict{Name: "S1", Title: "exclusion", Pass: r.Overlaps == 0, Required: !exp.S1MayFail && !exp.S1MustFail,
		Detail: fmt.Sprintf("%d times more than %d at once, worst %v", r.Overlaps, limit, r.WorstOverlap.Round(time.Millisecond))}
	if exp.S1MustFail {
		// The run proves the checker can see an overlap: it passes when it does.
		s1.Required, s1.Pass, s1.Title = true, r.Overlaps > 0, "exclusion broken on purpose (fence disabled)"
	}
	r.Verdicts = append(r.Verdicts,
		s1,
		Verdict{Name: "S2", Title: "fencing", Pass: r.StaleAccepted == 0 && tokenRegressions == 0, Required: true,
			Detail: fmt.Sprintf("%d stale writes accepted, %d refused, %d token regressions", r.StaleAccepted, r.StaleRejected, tokenRegressions)},
		Verdict{Name: "S3", Title: "no orphans", Pass: len(h.Orphans) == 0, Required: true,
			Detail: fmt.Sprintf("%d processes of the run still alive %v", len(h.Orphans), h.Orphans)},
		r.checkS4(h),
		r.checkL1(h, ivs),
		Verdict{Name: "L3", Title: "ride-through", Pass: r.Fenced == 0, Required: exp.RideThrough,
			Detail: fmt.Sprintf("%d jobs fenced (exit %d)", r.Fenced, exitcode.LockLost)},
		Verdict{Name: "progress", Title: "jobs completed", Pass: r.JobsCompleted > 0, Required: true,
			Detail: fmt.Sprintf("%d wrapper runs exited 0", r.JobsCompleted)},
		Verdict{Name: "stuck", Title: "no lock left behind", Pass: len(h.LeftZnodes) == 0, Required: true,
			Detail: fmt.Sprintf("%d contender znodes left %v", len(h.LeftZnodes), h.LeftZnodes)},
	)
	if len(h.Command) > 0 {
		r.Verdicts = append(r.Verdicts, checkGracefulStop(h), checkJobFailures(h))
	}
	if v := checkMixedFleet(h); v != nil {
		r.Verdicts = append(r.Verdicts, *v)
	}
	if exp.Runs.Max > 0 {
		n := len(h.Intervals)
		r.Verdicts = append(r.Verdicts, Verdict{Name: "once", Title: "runs per slot", Required: true,
			Pass:   n >= exp.Runs.Min && n <= exp.Runs.Max,
			Detail: fmt.Sprintf("%d jobs started in one slot (allowed %d–%d)", n, exp.Runs.Min, exp.Runs.Max)})
	}
	r.Pass = true
	for _, v := range r.Verdicts {
		if v.Required && !v.Pass {
			r.Pass = false
		}
	}
	return r
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
func (r *Report) checkS4(h *History) Verdict {
	late := 0
	// The witness sees the socket close a moment after the process dies.
	const slack = 200 * time.Millisecond
	for _, iv := range h.Intervals {
		for _, w := range h.Firings {
			if w.Node == iv.Node && w.Start <= iv.Start && iv.Start <= w.End && iv.End > w.End+slack {
				late++
			}
		}
	}
	return Verdict{Name: "S4", Title: "release only after death", Pass: late == 0, Required: true,
		Detail: fmt.Sprintf("%d jobs outlived their wrapper", late)}
}

// checkL1 measures, after every fault that took the holder away, how long
// until another job started, against T + 1 s.
func (r *Report) checkL1(h *History, ivs []Interval) Verdict {
	bound := h.SessionTimeout + time.Second
	missed, confounded := 0, 0
	for i, f := range h.Faults {
		if !f.HolderLoss || f.Error != "" {
			continue
		}
		// Another fault in the takeover window (quorum loss, a killed
		// leader) may rightly delay it: that takeover says nothing of L1.
		if overlapsOther(h.Faults, i, f.Start, f.Start+bound) {
			confounded++
			continue
		}
		next := time.Duration(-1)
		for _, iv := range ivs {
			if iv.Start > f.Start {
				next = iv.Start - f.Start
				break
			}
		}
		if next < 0 {
			missed++
			continue
		}
		r.Takeovers = append(r.Takeovers, next)
		r.WorstTakeover = max(r.WorstTakeover, next)
		if next > bound {
			missed++
		}
	}
	return Verdict{Name: "L1", Title: "takeover", Pass: missed == 0, Required: true,
		Detail: fmt.Sprintf("%d takeovers, worst %v (bound T+1s = %v), %d missed, %d not judged (another fault in the window)",
			len(r.Takeovers), r.WorstTakeover.Round(time.Millisecond), bound, missed, confounded)}
}

func overlapsOther(faults []FaultWindow, self int, from, to time.Duration) bool {
	for j, g := range faults {
		if j != self && g.opened() < to && g.End > from {
			return true
		}
	}
	return false
}
