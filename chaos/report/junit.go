package report

import (
	"encoding/xml"
	"fmt"
	"os"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// The verdicts as a JUnit report, the form CI systems show as tests: one
// suite for the run, one case per verdict. A required verdict that failed
// is a failure, with the verdict's detail as its text; one that is only
// reported and failed is skipped, so that the suite fails exactly when
// the run does.

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes rep, the verdicts of h's run, to path as JUnit XML.
func WriteJUnit(path string, h *checker.History, rep checker.Report) error {
	suite := junitSuite{Name: fmt.Sprintf("zoo-chaos %s seed %d", h.Scenario, h.Seed), Time: fmt.Sprintf("%.3f", h.Duration.Seconds())}
	for _, v := range rep.Verdicts {
		c := junitCase{Name: v.Name + " " + v.Title, ClassName: "zoo-chaos." + h.Scenario}
		switch {
		case v.Pass:
			c.SystemOut = v.Detail
		case v.Required:
			c.Failure = &junitMessage{Message: v.Name + " failed", Text: v.Detail}
			suite.Failures++
		default:
			c.Skipped = &junitMessage{Message: v.Name + " failed, reported only (not required)", Text: v.Detail}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	data, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{suite}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}
