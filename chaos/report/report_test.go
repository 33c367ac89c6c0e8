package report

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	// The chart's time-placed elements sit in one clipped group.
	Rects []svgRect `xml:"g>rect"`
	Lines []struct {
		Class string `xml:"class,attr"`
	} `xml:"g>line"`
}

type svgRect struct {
	Class string `xml:"class,attr"`
	Title string `xml:"title"`
}

// TestReportRendersParsableSVG: the timeline's SVG parses as XML and has a
// job bar per interval, the fault window, the overlap and leader marks.
func TestReportRendersParsableSVG(t *testing.T) {
	h := cleanHistory()
	h.Scenario, h.Seed = "report-test", 7
	h.Intervals[1].Start = 1500 * time.Millisecond
	h.Faults = []faults.FaultWindow{{Name: "partition holder", Target: "node1", InEffect: time.Second, End: 2 * time.Second}}
	h.Leaders = []checker.LeaderChange{{At: 0, Leader: 2}, {At: 4 * time.Second, Leader: 3}}
	rep := checker.Check(h, checker.Expect{})
	dir := t.TempDir()
	s := writeTimelineIn(t, dir, h, rep)
	svg := s[strings.Index(s, "<svg") : strings.Index(s, "</svg>")+len("</svg>")]
	var doc svgDoc
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("timeline SVG does not parse: %v", err)
	}
	count := map[string]int{}
	for _, r := range doc.Rects {
		count[r.Class]++
	}
	if count["job"] != 2 || count["fault"] != 1 || count["overlap"] != 1 || len(doc.Lines) != 2 {
		t.Fatalf("rects %v, %d leader lines", count, len(doc.Lines))
	}
	if strings.Contains(s, "http://") && !strings.Contains(s, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Fatal("page refers to the network")
	}
	var verdict struct {
		Pass     bool              `json:"pass"`
		Verdicts []checker.Verdict `json:"verdicts"`
	}
	b, err := os.ReadFile(filepath.Join(dir, VerdictFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &verdict); err != nil || verdict.Pass || len(verdict.Verdicts) == 0 {
		t.Fatalf("verdict.json %v: %s", err, b[:min(200, len(b))])
	}
}

// writeTimeline writes the history's report and returns its page.
func writeTimeline(t *testing.T, h *checker.History, rep checker.Report) string {
	t.Helper()
	return writeTimelineIn(t, t.TempDir(), h, rep)
}

func writeTimelineIn(t *testing.T, dir string, h *checker.History, rep checker.Report) string {
	t.Helper()
	if err := Write(dir, h, rep); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, TimelineFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(page)
}

// TestTimelineShowsUnexplainedExits: the page lists each unexplained exit
// and marks it on its node's lane.
func TestTimelineShowsUnexplainedExits(t *testing.T) {
	h := cleanHistory()
	h.Firings = append(h.Firings, checker.Firing{Node: "node2", Start: 4 * time.Second, End: 5 * time.Second, Exit: 70})
	rep := checker.Check(h, checker.Expect{})
	if rep.Pass || len(rep.Unexplained) != 1 {
		t.Fatalf("an exit 70 passed: %+v", rep.Verdicts)
	}
	page := writeTimeline(t, h, rep)
	for _, want := range []string{"Unexplained exits", `class="unexplained"`, "unexplained exit 70 of zoo-locked"} {
		if !strings.Contains(page, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
}

// cleanHistory is two nodes taking turns with no fault, as the checker's
// tests have it.
func cleanHistory() *checker.History {
	data, err := os.ReadFile("../checker/testdata/clean-history.json")
	if err != nil {
		panic(err)
	}
	var h checker.History
	if err := json.Unmarshal(data, &h); err != nil {
		panic(err)
	}
	return &h
}
