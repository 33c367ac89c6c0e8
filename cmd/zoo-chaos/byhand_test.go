package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/report"
)

func TestMain(m *testing.M) { os.Exit(chaostest.Main(m)) }

// upProcess is a running `zoo-chaos up`, its output read line by line.
type upProcess struct {
	mu    sync.Mutex
	lines []string
}

// find is the first line up printed that matches.
func (u *upProcess) find(match func(line string) bool) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, l := range u.lines {
		if match(l) {
			return l, true
		}
	}
	return "", false
}

func prefix(p string) func(string) bool {
	return func(l string) bool { return strings.HasPrefix(l, p) }
}
func contains(s string) func(string) bool {
	return func(l string) bool { return strings.Contains(l, s) }
}

// TestFaultsByHand: against a running `zoo-chaos up`, `zoo-chaos fault
// partition node2` from another process makes a session on node2's connect
// string expire, up prints the fault as it lands and as it heals, and
// `zoo-chaos heal` gives node2 the ensemble back.
func TestFaultsByHand(t *testing.T) {
	_, zooChaos := chaostest.Binaries(t)
	dir := t.TempDir()
	up := exec.Command(zooChaos, "up", "--dir", dir)
	stdout, err := up.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	up.Stderr = chaostest.Log(t)
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = up.Process.Signal(os.Interrupt) // up closes its ensemble on Ctrl-C
		done := make(chan struct{})
		go func() { _ = up.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = up.Process.Kill()
			t.Error("zoo-chaos up did not stop within a minute of Ctrl-C")
		}
	})
	u := &upProcess{}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			u.mu.Lock()
			u.lines = append(u.lines, s.Text())
			u.mu.Unlock()
			t.Log("up: " + s.Text())
		}
	}()
	chaostest.Eventually(t, 2*time.Minute, "zoo-chaos up serving with its control socket", func() bool {
		_, ok := u.find(prefix("faults by hand"))
		return ok
	})
	line, _ := u.find(prefix("node2: "))
	node2 := strings.Fields(line)[3] // node2: zoo-locked --zk CONNECT NAME -- COMMAND
	line, _ = u.find(prefix("node1: "))
	node1 := strings.Fields(line)[3]

	holder := chaostest.Connect(t, node2)
	if _, err := holder.Create("/by-hand", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	observer := chaostest.Connect(t, node1)
	if out, err := exec.Command(zooChaos, "fault", "partition", "node2", "--dir", dir).CombinedOutput(); err != nil || !strings.Contains(string(out), "node2") {
		t.Fatalf("zoo-chaos fault partition node2: %v\n%s", err, out)
	}
	chaostest.Eventually(t, 4*time.Second+5*time.Second, "node2's session expired behind the partition", func() bool {
		exists, _, err := observer.Exists("/by-hand")
		return err == nil && !exists
	})
	chaostest.Eventually(t, 5*time.Second, "up printed the fault", func() bool {
		_, ok := u.find(contains("fault: partition node2"))
		return ok
	})
	if out, err := exec.Command(zooChaos, "heal", "--dir", dir).CombinedOutput(); err != nil || !strings.Contains(string(out), "healed 1") {
		t.Fatalf("zoo-chaos heal: %v\n%s", err, out)
	}
	chaostest.Eventually(t, 5*time.Second, "up printed the heal", func() bool {
		_, ok := u.find(contains("healed: partition node2"))
		return ok
	})
	again := chaostest.Connect(t, node2)
	if _, err := again.Create("/by-hand-again", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("node2 after heal: %v", err)
	}
	if out, err := exec.Command(zooChaos, "fault", "partition", "holder", "--dir", dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "name a node") {
		t.Fatalf("a role without a workload: %v\n%s", err, out)
	}
}

// TestRunWritesJUnit: a run with --junit leaves a JUnit file CI can read,
// one case per verdict of the run's verdict.json, and exits as without.
func TestRunWritesJUnit(t *testing.T) {
	_, zooChaos := chaostest.Binaries(t)
	dir := t.TempDir()
	junit := filepath.Join(dir, "verdicts.xml")
	run := exec.Command(zooChaos, "run", "baseline", "--duration", "4s", "--report", filepath.Join(dir, "report"), "--junit", junit)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("zoo-chaos run baseline --junit: %v\n%s", err, out)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.Suites) != 1 {
		t.Fatalf("not one JUnit suite: %v\n%s", err, data)
	}
	verdict, err := os.ReadFile(filepath.Join(dir, "report", report.VerdictFile))
	if err != nil {
		t.Fatal(err)
	}
	var recorded checker.Report
	if err := json.Unmarshal(verdict, &recorded); err != nil {
		t.Fatal(err)
	}
	s := suites.Suites[0]
	if s.Tests == 0 || s.Tests != len(recorded.Verdicts) || s.Failures != 0 {
		t.Fatalf("JUnit suite of %d cases (%d failures); the passing run had %d verdicts", s.Tests, s.Failures, len(recorded.Verdicts))
	}
}
