package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// The files a comparison writes to its report directory.
const (
	CompareMarkdownFile = "compare.md"
	CompareHTMLFile     = "compare.html"
	CompareJSONFile     = "compare.json"
)

// Comparison is the same scenarios, on the same seed, run for several lock
// tools: one row per tool and scenario, in the order they ran.
type Comparison struct {
	Seed int64        `json:"seed"`
	Rows []CompareRow `json:"rows"`
}

// CompareRow is what one trial says of one tool: the figures a reader
// weighs a lock by, and the required verdicts it failed.
type CompareRow struct {
	Tool     string `json:"tool"`
	Scenario string `json:"scenario"`
	Pass     bool   `json:"pass"`
	// Failed names the required verdicts that failed.
	Failed       []string      `json:"failed,omitempty"`
	Overlaps     int           `json:"overlaps"`
	WorstOverlap time.Duration `json:"worst_overlap_ns"`
	// StaleAccepted is nil when the tool handed its jobs no token, so
	// that no write could be judged stale.
	StaleAccepted *int          `json:"stale_accepted"`
	Orphans       int           `json:"orphans"`
	WorstTakeover time.Duration `json:"worst_takeover_ns"`
	JobsCompleted int           `json:"jobs_completed"`
	// Report is the trial's own report directory, relative to the
	// comparison's.
	Report string `json:"report"`
}

// CompareRowOf reads a row off one trial's history and verdicts.
func CompareRowOf(tool string, h *checker.History, rep checker.Report, reportDir string) CompareRow {
	row := CompareRow{Tool: tool, Scenario: h.Scenario, Pass: rep.Pass, Overlaps: rep.Overlaps,
		WorstOverlap: rep.WorstOverlap, Orphans: len(h.Orphans), WorstTakeover: rep.WorstTakeover,
		JobsCompleted: rep.JobsCompleted, Report: reportDir}
	for _, v := range rep.Verdicts {
		if v.Required && !v.Pass {
			row.Failed = append(row.Failed, v.Name)
		}
		if v.Name == "S2" && !strings.HasPrefix(v.Detail, "not applicable") {
			stale := rep.StaleAccepted
			row.StaleAccepted = &stale
		}
	}
	return row
}

// compareColumns are the table's headings, in the order cells() fills them.
var compareColumns = []string{"tool", "scenario", "verdict", "overlaps", "worst overlap", "stale writes accepted", "orphans left", "worst takeover", "jobs completed"}

func (r CompareRow) cells() []string {
	verdict := "pass"
	if !r.Pass {
		verdict = "FAIL " + strings.Join(r.Failed, ",")
	}
	stale := "n/a (no token)"
	if r.StaleAccepted != nil {
		stale = fmt.Sprint(*r.StaleAccepted)
	}
	takeover := "-"
	if r.WorstTakeover > 0 {
		takeover = r.WorstTakeover.Round(10 * time.Millisecond).String()
	}
	return []string{r.Tool, r.Scenario, verdict, fmt.Sprint(r.Overlaps), r.WorstOverlap.Round(10 * time.Millisecond).String(),
		stale, fmt.Sprint(r.Orphans), takeover, fmt.Sprint(r.JobsCompleted)}
}

// Text is the table for a terminal, columns aligned.
func (c Comparison) Text() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(compareColumns, "\t"))
	for _, r := range c.Rows {
		fmt.Fprintln(w, strings.Join(r.cells(), "\t"))
	}
	w.Flush()
	return b.String()
}

// Markdown is the table as GitHub renders it; a cell's "|" is escaped.
func (c Comparison) Markdown() string {
	var b strings.Builder
	line := func(cells []string) {
		for i, cell := range cells {
			cells[i] = strings.ReplaceAll(cell, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	line(append([]string(nil), compareColumns...))
	b.WriteString("|" + strings.Repeat(" --- |", len(compareColumns)) + "\n")
	for _, r := range c.Rows {
		line(r.cells())
	}
	return b.String()
}

var comparePage = template.Must(template.New("compare").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>zoo-chaos compare, seed {{.Seed}}</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.fail td{background:#fde8e8}</style>
</head><body><h1>zoo-chaos compare, seed {{.Seed}}</h1>
<table><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr{{if not .Pass}} class="fail"{{end}}>{{$link := .Timeline}}{{range $i, $cell := .Cells}}<td>{{if eq $i 1}}<a href="{{$link}}">{{$cell}}</a>{{else}}{{$cell}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></body></html>
`))

// HTML is the table as a page; each scenario cell links to its trial's
// timeline.
func (c Comparison) HTML() (string, error) {
	type row struct {
		Pass     bool
		Cells    []string
		Timeline string
	}
	data := struct {
		Seed    int64
		Columns []string
		Rows    []row
	}{Seed: c.Seed, Columns: compareColumns}
	for _, r := range c.Rows {
		data.Rows = append(data.Rows, row{Pass: r.Pass, Cells: r.cells(), Timeline: filepath.ToSlash(filepath.Join(r.Report, TimelineFile))})
	}
	var b strings.Builder
	err := comparePage.Execute(&b, data)
	return b.String(), err
}

// WriteComparison writes the table as Markdown, HTML and JSON into dir.
func WriteComparison(dir string, c Comparison) error {
	page, err := c.HTML()
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	for name, content := range map[string]string{CompareMarkdownFile: c.Markdown(), CompareHTMLFile: page, CompareJSONFile: string(data) + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
