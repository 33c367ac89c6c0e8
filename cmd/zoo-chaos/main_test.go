package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/chaos/report"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

// capture runs the command in-process and returns its exit code and what
// it wrote to stdout and stderr.
func capture(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	saved := [2]*os.File{os.Stdout, os.Stderr}
	os.Stdout, os.Stderr = outW, errW
	outC, errC := make(chan string), make(chan string)
	go func() { b, _ := io.ReadAll(outR); outC <- string(b) }()
	go func() { b, _ := io.ReadAll(errR); errC <- string(b) }()
	code = run(args)
	os.Stdout, os.Stderr = saved[0], saved[1]
	outW.Close()
	errW.Close()
	return code, <-outC, <-errC
}

func TestCommandHelpListsEveryFlag(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"run":     {"--seed", "--nodes", "--duration", "--report", "--backend", "--zk", "--plan", "--check", "--junit", "--wrapper", "-- COMMAND"},
		"up":      {"--backend", "--zk", "--nodes", "--ready-file", "--dir"},
		"plan":    {"--seed"},
		"compare": {"--scenarios", "--tool", "--seed", "--report", "--backend", "--zk"},
		"fault":   {"--for", "--dir", "--latency", "--jitter", "--offset", "--rate", "--zk"},
		"heal":    {"--dir"},
	} {
		code, out, errOut := capture(t, cmd, "--help")
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: zoo-chaos "+cmd) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
		for _, f := range flags {
			if !strings.Contains(out, f) {
				t.Errorf("%s --help does not show %s:\n%s", cmd, f, out)
			}
		}
	}
}

func TestBadArgumentsExit64WithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--bogus", "baseline"},
		{"up", "--nodes", "x"},
		{"run"},
		{"run", "no-such-scenario"},
		{"run", "baseline", "--"},
		{"run", "baseline", "--plan", "/no/such/plan.json"},
		{"run", "baseline", "--zk", "3.7"},
		{"up", "--zk", "4"},
		{"plan", "no-such-scenario"},
		{"fault", "meteor", "node1"},
		{"fault", "partition"},
		{"fault", "partition", "zk1"},
		{"fault", "kill-server", "node1"},
		{"fault", "clock-jump", "leader"},
		{"fault", "clock-drift", "zk1", "--rate", "20"},
		{"heal", "extra"},
		{"compare"},
		{"compare", "--scenarios", "baseline"},
		{"compare", "--scenarios", "baseline,nope", "--tool", "x=x {job}"},
		{"compare", "--scenarios", "baseline", "--tool", "x"},
		{"compare", "--scenarios", "baseline", "--tool", "a/b=x {job}"},
		{"compare", "--scenarios", "baseline", "--tool", "x=x {zk}"},
		{"compare", "--scenarios", "baseline", "--tool", "x=x {job}", "--tool", "x=y {job}"},
		{"compare", "--scenarios", "once-per", "--tool", "x=x {job}"},
		{"compare", "baseline", "--tool", "x=x {job}"},
		{"bogus"},
	} {
		code, out, errOut := capture(t, args...)
		if code != 64 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "zoo-chaos") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 64 and one line on stderr", args, code, out, errOut)
		}
	}
}

// TestBadPlansExit64: a plan that names an unknown fault, a bad target or a
// bad duration gets one line naming it, and 64.
func TestBadPlansExit64(t *testing.T) {
	dir := t.TempDir()
	for name, plan := range map[string]string{
		"not json":      `{"steps": [`,
		"no steps":      `{"scenario": "baseline"}`,
		"unknown fault": `{"steps": [{"at": "1s", "fault": "meteor", "target": "node1"}]}`,
		"bad target":    `{"steps": [{"at": "1s", "fault": "kill-server", "target": "node1"}]}`,
		"bad duration":  `{"steps": [{"at": "soon", "fault": "quorum-loss"}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := capture(t, "run", "baseline", "--plan", path)
		if code != 64 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--plan") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}

// TestPlanPrintsTheSeedsSchedule: plan NAME --seed N prints JSON that
// ParsePlan reads back as the same schedule.
func TestPlanPrintsTheSeedsSchedule(t *testing.T) {
	code, out, errOut := capture(t, "plan", "random", "--seed", "3")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	p, err := faults.ParsePlan([]byte(out))
	if err != nil || len(p.Steps) < 3 || p.Seed != 3 || p.Scenario != "random" {
		t.Fatalf("plan %+v, %v:\n%s", p, err, out)
	}
	want := scenarios.Get("random").Schedule(3, 25*time.Second)
	for i, s := range p.Schedule() {
		if s.At != want[i].At || s.For != want[i].For || s.Fault.Name() != want[i].Fault.Name() {
			t.Fatalf("step %d: %v+%v %s, the seed gives %v+%v %s", i, s.At, s.For, s.Fault.Name(), want[i].At, want[i].For, want[i].Fault.Name())
		}
	}
}

// TestManPageAgreesWithHelp: zoo-chaos(1) and --help come from one
// description; every flag of every command, and every exit code, appear
// in both alike.
func TestManPageAgreesWithHelp(t *testing.T) {
	_, help, _ := capture(t, "--help")
	_, man, _ := capture(t, "--man")
	roff := strings.NewReplacer(`\-`, "-", `\e`, `\`, `\&`, "").Replace(man)
	p := page()
	for _, g := range p.Flags {
		for _, f := range g.Flags {
			for _, want := range []string{f.Spelling(), f.Usage} {
				if !strings.Contains(help, want) || !strings.Contains(roff, want) {
					t.Errorf("%s --%s: %q missing from --help or the man page", g.Title, f.Name, want)
				}
			}
		}
	}
	for _, row := range p.Sections[1].Table {
		if !strings.Contains(roff, row[1]) || !strings.Contains(help, row[1]) {
			t.Errorf("exit code %s missing from one of them", row[0])
		}
	}
	if !strings.HasPrefix(man, ".TH ZOO-CHAOS 1") {
		t.Errorf("not a man page:\n%.200s", man)
	}
}

// TestREADMEIncidentIsAPlan: the incident the README walks through parses
// as a plan whose steps overlap as the incident's faults did.
func TestREADMEIncidentIsAPlan(t *testing.T) {
	data, err := os.ReadFile("../../docs/examples/incident.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := faults.ParsePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	steps := p.Schedule()
	if len(steps) != 2 || steps[1].At >= steps[0].At+steps[0].For {
		t.Fatalf("steps %+v: want two overlapping faults", steps)
	}
}

// TestRejudgeRecordedRun: rejudge judges a report's history again: a
// clean run passes, an internal error in it fails, a file without a
// history is a usage error.
func TestRejudgeRecordedRun(t *testing.T) {
	dir := t.TempDir()
	h := &checker.History{Scenario: "baseline", Nodes: []string{"node1"}, Duration: 3 * time.Second, SessionTimeout: 3 * time.Second,
		Intervals: []checker.Interval{{Node: "node1", Token: 5, Start: time.Second, End: 2 * time.Second, Writes: 10}},
		Firings:   []checker.Firing{{Node: "node1", Start: 900 * time.Millisecond, End: 2100 * time.Millisecond}}}
	write := func(name string, h *checker.History) string {
		reportDir := filepath.Join(dir, name)
		if err := report.Write(reportDir, h, checker.Check(h, checker.Expect{})); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(reportDir, report.VerdictFile)
	}
	if code, out, errOut := capture(t, "rejudge", write("clean", h)); code != 0 || !strings.Contains(out, "PASS baseline") {
		t.Fatalf("a clean run rejudged: exit %d\n%s%s", code, out, errOut)
	}
	h.Firings = append(h.Firings, checker.Firing{Node: "node1", Start: 2200 * time.Millisecond, End: 2300 * time.Millisecond, Exit: 70})
	if code, out, _ := capture(t, "rejudge", write("internal", h)); code != 1 || !strings.Contains(out, "UNEXPLAINED") {
		t.Fatalf("a run with an internal error rejudged: exit %d\n%s", code, out)
	}
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte(`{"plan": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := capture(t, "rejudge", garbage); code != 64 || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("a file without a history: exit %d, %q", code, errOut)
	}
}

// TestFaultsListsEveryKind: zoo-chaos faults names every kind a plan may
// use, and says what each does.
func TestFaultsListsEveryKind(t *testing.T) {
	code, out, errOut := capture(t, "faults")
	if code != 0 || errOut != "" {
		t.Fatalf("faults: exit %d, stderr %q", code, errOut)
	}
	for _, kind := range faults.FaultKinds() {
		if _, ok := faultDocs[kind]; !ok || !strings.Contains(out, "\n"+kind+" ") {
			t.Errorf("faults does not describe %s:\n%s", kind, out)
		}
	}
	if !strings.Contains(out, "\nslow            -                      --jitter, --latency ") ||
		!strings.Contains(out, "before_job_end (plans only)") || !strings.Contains(out, "--zk ") {
		t.Errorf("faults does not say what each kind takes, from its parameters:\n%s", out)
	}
	if len(faultDocs) != len(faults.FaultKinds()) {
		t.Errorf("faultDocs describes %d kinds, the harness has %d", len(faultDocs), len(faults.FaultKinds()))
	}
}

// TestCIExampleRunParses: the CI example's zoo-chaos line names a scenario
// and flags that exist, so that a team copying it gets a run.
func TestCIExampleRunParses(t *testing.T) {
	data, err := os.ReadFile("../../docs/examples/ci/exclusivity.yml")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "zoo-chaos run ") {
			line = l
		}
	}
	args := strings.Fields(line)
	if len(args) < 3 {
		t.Fatalf("no zoo-chaos run line in the CI example")
	}
	var o runOptions
	fs := runFlags(&o)
	if err := fs.Parse(args[2:]); err != nil {
		t.Fatalf("the CI example's flags: %v", err)
	}
	if name := fs.Arg(0); scenarios.Get(name).Name != name || o.junit == "" || o.report == "" {
		t.Fatalf("the CI example runs %q, junit %q, report %q: want a catalogue scenario, a JUnit file and a report", name, o.junit, o.report)
	}
}
