package report

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// TestCompareRow: a row carries the figures of its trial, names the
// required verdicts that failed, and says n/a for stale writes when the
// tool handed out no token, rather than a 0 that would read as a pass.
func TestCompareRow(t *testing.T) {
	h := &checker.History{Scenario: "holder-sigkill", Orphans: []int{41, 42}}
	rep := checker.Report{Pass: false, Overlaps: 2, WorstOverlap: 1500 * time.Millisecond, JobsCompleted: 7, WorstTakeover: 3210 * time.Millisecond,
		Verdicts: []checker.Verdict{
			{Name: "S1", Required: true, Pass: false},
			{Name: "S2", Required: true, Pass: true, Detail: "not applicable to this wrapper: it handed its jobs no token (ZOOLOCKED_TOKEN)"},
			{Name: "S3", Required: true, Pass: false},
			{Name: "L3", Required: false, Pass: false},
		}}
	row := CompareRowOf("c|recipe", h, rep, "c/holder-sigkill")
	if got := strings.Join(row.Failed, ","); got != "S1,S3" {
		t.Errorf("failed verdicts %q, want S1,S3 (L3 is not required)", got)
	}
	if row.StaleAccepted != nil || row.Orphans != 2 {
		t.Errorf("stale %v, orphans %d: want n/a and 2", row.StaleAccepted, row.Orphans)
	}
	zl := CompareRowOf("zoo-locked", &checker.History{Scenario: "holder-sigkill"}, checker.Report{Pass: true, JobsCompleted: 9,
		Verdicts: []checker.Verdict{{Name: "S2", Required: true, Pass: true, Detail: "0 stale writes accepted, 3 refused, 0 token regressions"}}}, "zoo-locked/holder-sigkill")
	if zl.StaleAccepted == nil || *zl.StaleAccepted != 0 {
		t.Errorf("zoo-locked's stale writes: %v, want 0", zl.StaleAccepted)
	}

	c := Comparison{Seed: 1, Rows: []CompareRow{zl, row}}
	md := c.Markdown()
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != 4 {
		t.Fatalf("markdown has %d lines, want heading, rule and 2 rows:\n%s", len(lines), md)
	}
	for _, l := range lines {
		if cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); cells != len(compareColumns)+1 {
			t.Errorf("markdown line with %d bars, want %d: %s", cells, len(compareColumns)+1, l)
		}
	}
	if !strings.Contains(md, `| c\|recipe | holder-sigkill | FAIL S1,S3 | 2 | 1.5s | n/a (no token) | 2 | 3.21s | 7 |`) {
		t.Errorf("the C row:\n%s", md)
	}
	if text := c.Text(); !strings.Contains(text, "stale writes accepted") || strings.Count(text, "\n") != 3 {
		t.Errorf("text table:\n%s", text)
	}

	page, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	// The page is well-formed (XML-parsable past its doctype), and links
	// each trial's timeline.
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(page, "<!DOCTYPE html>")))
	d.Strict, d.AutoClose, d.Entity = true, nil, xml.HTMLEntity
	cells := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("compare.html does not parse: %v\n%s", err, page)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "td" {
			cells++
		}
	}
	if cells != 2*len(compareColumns) || !strings.Contains(page, `href="c/holder-sigkill/timeline.html"`) {
		t.Errorf("%d cells, links: %s", cells, page)
	}
}
