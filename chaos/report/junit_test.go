package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// TestJUnit: the report parses as JUnit XML, with one case per verdict, a
// failure (with its detail) for each required verdict that failed, and
// the reported-only failures skipped.
func TestJUnit(t *testing.T) {
	h := &checker.History{Scenario: "holder-sigkill", Seed: 3, Duration: 20 * time.Second}
	rep := checker.Report{Verdicts: []checker.Verdict{
		{Name: "S1", Title: "mutual exclusion", Pass: false, Required: true, Detail: "2 overlaps, worst 1.2s <&>"},
		{Name: "S3", Title: "no orphans", Pass: true, Required: true, Detail: "every tree reaped"},
		{Name: "L2", Title: "wait bound", Pass: false, Required: false, Detail: "one wait 31s"},
	}}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(path, h, rep); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &parsed); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if len(parsed.Suites) != 1 {
		t.Fatalf("%d suites, want 1", len(parsed.Suites))
	}
	s := parsed.Suites[0]
	if s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 || len(s.Cases) != 3 || !strings.Contains(s.Name, "holder-sigkill") {
		t.Fatalf("suite %+v: want 3 tests, 1 failure, 1 skipped", s)
	}
	if f := s.Cases[0].Failure; f == nil || f.Text != "2 overlaps, worst 1.2s <&>" || !strings.HasPrefix(s.Cases[0].Name, "S1") {
		t.Fatalf("S1's failure: %+v", s.Cases[0])
	}
	if s.Cases[1].Failure != nil || s.Cases[1].Skipped != nil || s.Cases[2].Skipped == nil {
		t.Fatalf("a pass or a reported-only failure is marked wrong: %+v", s.Cases[1:])
	}
}
