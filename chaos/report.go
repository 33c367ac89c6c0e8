package chaos

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Verdict file and page names inside a report directory.
const (
	VerdictFile  = "verdict.json"
	TimelineFile = "timeline.html"
)

// WriteReport writes dir/verdict.json (verdicts, figures and the history)
// and dir/timeline.html (an inline-SVG timeline readable offline), and
// dir/wrappers.log.
func WriteReport(dir string, h *History, rep Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	verdict, err := json.MarshalIndent(struct {
		Report
		History *History `json:"history"`
	}{rep, h}, "", "  ")
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
	History *History
	Report  Report
	Width   int
	Height  int
	Lanes   []lane
	Faults  []box
	Leaders []mark
	Overlap []box
	Ticks   []mark
}

type lane struct {
	Y    int
	Name string
	Jobs []box
}

type box struct {
	X, Y, W, H int
	Label      string
	Class      string
}

type mark struct {
	X     int
	Label string
}

const (
	laneHeight = 34
	leftMargin = 80
	plotWidth  = 1100
	topMargin  = 40
)

func newTimeline(h *History, rep Report) timeline {
	span := h.Duration
	for _, iv := range h.Intervals {
		span = max(span, iv.End)
	}
	if span <= 0 {
		span = time.Second
	}
	x := func(d time.Duration) int { return leftMargin + int(float64(plotWidth)*float64(d)/float64(span)) }
	t := timeline{History: h, Report: rep, Width: leftMargin + plotWidth + 20}
	laneY := map[string]int{}
	for i, n := range h.Nodes {
		y := topMargin + i*laneHeight
		laneY[n] = y
		t.Lanes = append(t.Lanes, lane{Y: y, Name: n})
	}
	t.Height = topMargin + len(h.Nodes)*laneHeight + 30
	for _, iv := range h.Intervals {
		y, ok := laneY[iv.Node]
		if !ok {
			continue
		}
		for i := range t.Lanes {
			if t.Lanes[i].Name == iv.Node {
				class := "job"
				if iv.Rejected > 0 {
					class = "job stale"
				}
				t.Lanes[i].Jobs = append(t.Lanes[i].Jobs, box{X: x(iv.Start), Y: y + 6, W: max(1, x(iv.End)-x(iv.Start)), H: laneHeight - 12,
					Label: fmt.Sprintf("token %d, %v–%v, %d writes, %d refused", iv.Token, iv.Start.Round(time.Millisecond), iv.End.Round(time.Millisecond), iv.Writes, iv.Rejected), Class: class})
			}
		}
	}
	for _, f := range h.Faults {
		t.Faults = append(t.Faults, box{X: x(f.Start), Y: topMargin - 10, W: max(2, x(f.End)-x(f.Start)), H: t.Height - topMargin - 10,
			Label: fmt.Sprintf("%s on %s, %v–%v %s", f.Name, f.Target, f.Start.Round(time.Millisecond), f.End.Round(time.Millisecond), f.Error), Class: "fault"})
	}
	for _, l := range h.Leaders {
		label := fmt.Sprintf("zk%d leads", l.Leader)
		if l.Leader == 0 {
			label = "no leader"
		}
		t.Leaders = append(t.Leaders, mark{X: x(l.At), Label: label})
	}
	for _, o := range rep.overlapIntervals {
		t.Overlap = append(t.Overlap, box{X: x(o.Start), Y: topMargin - 4, W: max(2, x(o.Start+o.Duration)-x(o.Start)), H: len(h.Nodes) * laneHeight,
			Label: fmt.Sprintf("overlap %v: %s", o.Duration.Round(time.Millisecond), strings.Join(o.Nodes, ", ")), Class: "overlap"})
	}
	step := time.Second
	for span/step > 20 {
		step *= 5
	}
	for d := time.Duration(0); d <= span; d += step {
		t.Ticks = append(t.Ticks, mark{X: x(d), Label: fmt.Sprintf("%gs", d.Seconds())})
	}
	return t
}

var timelinePage = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"status": func(pass bool) string {
		if pass {
			return "pass"
		}
		return "FAIL"
	},
	"lower": strings.ToLower,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>zoo-chaos: {{.History.Scenario}} seed {{.History.Seed}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
.pass{color:#176317}.FAIL{color:#b00;font-weight:bold}
svg .job{fill:#4a7fd4}svg .stale{fill:#d49a4a}svg .fault{fill:#888;fill-opacity:.18}
svg .overlap{fill:#e00;fill-opacity:.55}svg .leader{stroke:#6a2;stroke-dasharray:3 3}
svg text{font:11px system-ui,sans-serif}
</style></head><body>
<h1>{{.History.Scenario}} — <span class="{{status .Report.Pass}}">{{status .Report.Pass}}</span></h1>
<p>Seed {{.History.Seed}}, {{len .History.Nodes}} nodes, {{.History.Backend}} backend, session timeout {{.History.SessionTimeout}},
{{.Report.JobsCompleted}} jobs completed, {{.Report.Overlaps}} overlaps, worst takeover {{.Report.WorstTakeover}}.</p>
<table><tr><th>guarantee</th><th></th><th>verdict</th><th>detail</th></tr>
{{range .Report.Verdicts}}<tr><td>{{.Name}}</td><td>{{.Title}}{{if not .Required}} (not required here){{end}}</td><td class="{{status .Pass}}">{{status .Pass}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
<h2>Timeline</h2>
<p>Blue: a job holding the lock (hover for its token); orange: a job whose writes were refused as stale; grey: fault windows; red: overlaps; dashed green: leader changes.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Faults}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}</title></rect>
{{end}}{{range .Lanes}}<text x="4" y="{{.Y}}" dy="20">{{.Name}}</text>
{{range .Jobs}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}</title></rect>
{{end}}{{end}}{{range .Overlap}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}</title></rect>
{{end}}{{range .Leaders}}<line class="leader" x1="{{.X}}" y1="12" x2="{{.X}}" y2="{{$.Height}}"><title>{{.Label}}</title></line><text x="{{.X}}" y="12" dx="2">{{.Label}}</text>
{{end}}{{range .Ticks}}<text x="{{.X}}" y="{{$.Height}}" dy="-4">{{.Label}}</text>
{{end}}</svg>
<h2>Faults</h2>
<table><tr><th>fault</th><th>target</th><th>from</th><th>to</th><th></th></tr>
{{range .History.Faults}}<tr><td>{{.Name}}</td><td>{{.Target}}</td><td>{{.Start}}</td><td>{{.End}}</td><td>{{.Error}}</td></tr>
{{end}}</table>
</body></html>
`))
