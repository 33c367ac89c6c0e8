package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// Verdict file and page names inside a report directory.
const (
	VerdictFile  = "verdict.json"
	TimelineFile = "timeline.html"
)

// WriteReport writes dir/verdict.json (verdicts, figures and the history)
// and dir/timeline.html (an inline-SVG timeline readable offline), and
// dir/wrappers.log.
func Write(dir string, h *checker.History, rep checker.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	verdict, err := json.MarshalIndent(struct {
		checker.Report
		// Plan is the executed schedule at the top, so that
		// `zoo-chaos run NAME --plan verdict.json` replays it.
		Plan    faults.Plan      `json:"plan"`
		History *checker.History `json:"history"`
	}{rep, h.Plan, h}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, VerdictFile), verdict, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wrappers.log"), []byte(h.WrapperLog), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, TimelineFile))
	if err != nil {
		return err
	}
	defer f.Close()
	return timelinePage.Execute(f, newTimeline(h, rep))
}

// timeline is the SVG's geometry, computed here so the template stays dumb.
type timeline struct {
	History *checker.History
	Report  checker.Report
	// SpanMs, LeftMargin and PlotWidth let the page's script re-place
	// every element for a zoomed window; Moments are the fault windows and
	// leader changes the pointer names.
	SpanMs     int64
	LeftMargin int
	PlotWidth  int
	Moments    []moment
	Overlaps   []atRow
	// LabelsHidden says the fault and leader labels did not fit in a few
	// rows: the pointer names them instead.
	LabelsHidden bool
	Verdicts     []verdictRow
	Faults       []faultRow
	Width        int
	Height       int
	Lanes        []lane
	Windows      []box // fault windows, across the lanes
	Hits         []box // the lane of the node a fault hit
	Labels       []label
	Leaders      []mark
	Overlap      []box
	Exits        []box // unexplained exits, on their node's lane
	Ticks        []mark
	LanesTop     int
}

type lane struct {
	Y    int
	Name string
	Jobs []box
}

// A and B are the element's times in ms, for the page's zoom.
type box struct {
	X, Y, W, H int
	A, B       int64
	Label      string
	Class      string
}

type mark struct {
	X, Y1, Y2 int
	A         int64
	Label     string
}

// label is a text placed where no other label is.
type label struct {
	X, Y  int
	A     int64
	Text  string
	Class string
}

// moment is what the pointer names at a time: a fault window or a leader.
type moment struct {
	A    int64  `json:"a"`
	B    int64  `json:"b"`
	Text string `json:"text"`
}

// atRow is a listed event with the time the page jumps to.
type atRow struct {
	At   int64
	Text string
}

// verdictRow is a verdict as the page shows it: a verdict the scenario
// does not require, broken under the fault that breaks it, reads
// "expected under <fault>", in a colour of its own.
type verdictRow struct {
	checker.Verdict
	Status, Class string
}

type faultRow struct {
	Name, Target, From, To, Error string
}

const (
	// maxLabelRows bounds the rows of fault labels above the lanes; a
	// history that needs more (a soak) names faults under the pointer.
	maxLabelRows = 4
	laneHeight   = 34
	leftMargin   = 80
	plotWidth    = 1100
	rowHeight    = 15
	charWidth    = 6.6 // of the 11px labels, generous: labels must never touch
)

// ms prints a duration in whole milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// rows places labels left to right in the first row where they fit, so
// that none is printed over another; it returns each label's row.
func rows(xs []int, texts []string) ([]int, int) {
	var ends []int // per row, where its last label ends
	out := make([]int, len(xs))
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return xs[order[a]] < xs[order[b]] })
	for _, i := range order {
		width := int(float64(len(texts[i]))*charWidth) + 8
		row := 0
		for row < len(ends) && ends[row] > xs[i] {
			row++
		}
		if row == len(ends) {
			ends = append(ends, 0)
		}
		ends[row] = xs[i] + width
		out[i] = row
	}
	return out, len(ends)
}

func newTimeline(h *checker.History, rep checker.Report) timeline {
	span := h.Duration
	for _, iv := range h.Intervals {
		span = max(span, iv.End)
	}
	if span <= 0 {
		span = time.Second
	}
	x := func(d time.Duration) int { return leftMargin + int(float64(plotWidth)*float64(d)/float64(span)) }
	t := timeline{History: h, Report: rep, Width: leftMargin + plotWidth + 200,
		SpanMs: span.Milliseconds(), LeftMargin: leftMargin, PlotWidth: plotWidth}
	msOf := func(d time.Duration) int64 { return d.Milliseconds() }

	// Above the lanes: a row band for leader labels, then one for fault
	// labels, each as many rows deep as its labels need.
	var leaderX, faultX []int
	var leaderText, faultText []string
	for _, l := range h.Leaders {
		text := fmt.Sprintf("zk%d leads", l.Leader)
		if l.Leader == 0 {
			text = "no leader"
		}
		leaderX, leaderText = append(leaderX, x(l.At)), append(leaderText, text)
	}
	for _, f := range h.Faults {
		text := f.Name
		if f.Target != "" && !strings.Contains(f.Name, f.Target) {
			text += " → " + f.Target
		}
		faultX, faultText = append(faultX, x(f.EffectFrom())), append(faultText, text)
	}
	leaderRows, nLeader := rows(leaderX, leaderText)
	faultRows, nFault := rows(faultX, faultText)
	t.LabelsHidden = nFault > maxLabelRows || nLeader > maxLabelRows
	if t.LabelsHidden {
		nLeader, nFault = 0, 0
		leaderRows, faultRows = make([]int, len(leaderRows)), make([]int, len(faultRows))
	}
	// The top row names what lies under the pointer.
	leadersTop := 14 + rowHeight
	faultsTop := leadersTop + nLeader*rowHeight + 6
	t.LanesTop = faultsTop + nFault*rowHeight + 8
	for i, l := range h.Leaders {
		t.Moments = append(t.Moments, moment{A: msOf(l.At), B: msOf(h.LeaderEnd(i, span)), Text: leaderText[i]})
		if !t.LabelsHidden {
			t.Labels = append(t.Labels, label{X: leaderX[i] + 2, Y: leadersTop + leaderRows[i]*rowHeight, A: msOf(l.At), Text: leaderText[i], Class: "leader-label"})
		}
	}
	for i, f := range h.Faults {
		t.Moments = append(t.Moments, moment{A: msOf(f.EffectFrom()), B: msOf(f.EffectUntil(span)), Text: faultText[i]})
		if !t.LabelsHidden {
			t.Labels = append(t.Labels, label{X: faultX[i] + 2, Y: faultsTop + faultRows[i]*rowHeight, A: msOf(f.EffectFrom()), Text: faultText[i], Class: "fault-label"})
		}
	}

	laneY := map[string]int{}
	for i, n := range h.Nodes {
		y := t.LanesTop + i*laneHeight
		laneY[n] = y
		t.Lanes = append(t.Lanes, lane{Y: y, Name: n})
	}
	lanesBottom := t.LanesTop + len(h.Nodes)*laneHeight
	t.Height = lanesBottom + 24
	for _, iv := range h.Intervals {
		for i := range t.Lanes {
			if t.Lanes[i].Name != iv.Node {
				continue
			}
			class := "job"
			if iv.Rejected > 0 {
				class = "job stale"
			}
			t.Lanes[i].Jobs = append(t.Lanes[i].Jobs, box{X: x(iv.Start), Y: t.Lanes[i].Y + 6, W: max(1, x(iv.End)-x(iv.Start)), H: laneHeight - 12, A: msOf(iv.Start), B: msOf(iv.End),
				Label: fmt.Sprintf("token %d, %s–%s, %d writes, %d refused", iv.Token, ms(iv.Start), ms(iv.End), iv.Writes, iv.Rejected), Class: class})
		}
	}
	for i, f := range h.Faults {
		title := fmt.Sprintf("%s, %s–%s %s", faultText[i], ms(f.EffectFrom()), ms(f.End), f.Error)
		t.Windows = append(t.Windows, box{X: x(f.EffectFrom()), Y: faultsTop + faultRows[i]*rowHeight + 3, W: max(2, x(f.End)-x(f.EffectFrom())),
			H: lanesBottom - faultsTop - faultRows[i]*rowHeight - 3, A: msOf(f.EffectFrom()), B: msOf(f.End), Label: title, Class: "fault"})
		for _, n := range h.Nodes {
			if f.Target == n || f.Target == "all nodes" {
				t.Hits = append(t.Hits, box{X: x(f.EffectFrom()), Y: laneY[n] + 2, W: max(2, x(f.End)-x(f.EffectFrom())), H: laneHeight - 4,
					A: msOf(f.EffectFrom()), B: msOf(f.End), Label: title, Class: "hit"})
			}
		}
		t.Faults = append(t.Faults, faultRow{Name: f.Name, Target: f.Target, From: ms(f.EffectFrom()), To: ms(f.End), Error: f.Error})
	}
	for _, l := range h.Leaders {
		t.Leaders = append(t.Leaders, mark{X: x(l.At), Y1: leadersTop - 10, Y2: lanesBottom, A: msOf(l.At), Label: "leader change"})
	}
	for _, o := range rep.OverlapIntervals {
		text := fmt.Sprintf("overlap %s: %s", ms(o.Duration), strings.Join(o.Nodes, ", "))
		t.Overlap = append(t.Overlap, box{X: x(o.Start), Y: t.LanesTop - 4, W: max(2, x(o.Start+o.Duration)-x(o.Start)), H: len(h.Nodes)*laneHeight + 4,
			A: msOf(o.Start), B: msOf(o.Start + o.Duration), Label: text, Class: "overlap"})
		t.Overlaps = append(t.Overlaps, atRow{At: msOf(o.Start), Text: fmt.Sprintf("%s at %s", text, ms(o.Start))})
	}
	for _, u := range rep.Unexplained {
		t.Exits = append(t.Exits, box{X: x(u.Firing.End) - 4, Y: laneY[u.Firing.Node] + 2, W: 8, H: laneHeight - 4, A: msOf(u.Firing.End), B: -1,
			Label: fmt.Sprintf("unexplained exit %d of %s at %s", u.Firing.Exit, u.Firing.WrapperName(), ms(u.Firing.End)), Class: "unexplained"})
	}
	step := time.Second
	for span/step > 20 {
		step *= 5
	}
	for d := time.Duration(0); d <= span; d += step {
		t.Ticks = append(t.Ticks, mark{X: x(d), A: msOf(d), Label: fmt.Sprintf("%gs", d.Seconds())})
	}
	for _, v := range rep.Verdicts {
		row := verdictRow{Verdict: v, Status: "pass", Class: "pass"}
		switch {
		case !v.Pass && !v.Required:
			row.Status, row.Class = "not required here", "expected"
			if why := checker.ExcusingFaults(v.Name, h.Faults); why != "" {
				row.Status = "expected under " + why
			}
		case !v.Pass:
			row.Status, row.Class = "FAIL", "FAIL"
		}
		t.Verdicts = append(t.Verdicts, row)
	}
	return t
}

// The timeline page, a template: its HTML, CSS and script.
//
//go:embed timeline.html.tmpl
var timelineSource string

var timelinePage = template.Must(template.New("timeline").Parse(timelineSource))
