package checker

import (
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// TestEveryExitExplained: each exit a wrapper may give is explained only by
// what the history holds; an internal error never is.
func TestEveryExitExplained(t *testing.T) {
	partitionNode2 := faults.FaultWindow{Name: "partition node2", Kind: "partition", Target: "node2", InEffect: 4 * sec, End: 8 * sec}
	partitionNode1 := faults.FaultWindow{Name: "partition node1", Kind: "partition", Target: "node1", InEffect: 4 * sec, End: 8 * sec}
	quorumLoss := faults.FaultWindow{Name: "quorum loss", Kind: "quorum-loss", InEffect: 4 * sec, End: 8 * sec}
	killNode2 := faults.FaultWindow{Name: "kill node2", Kind: "kill-wrapper", Target: "node2", InEffect: 5 * sec}
	killNode1 := faults.FaultWindow{Name: "kill node1", Kind: "kill-wrapper", Target: "node1", InEffect: 5 * sec}
	leaderClock := faults.FaultWindow{Name: "leader clock 1h0m0s", Kind: "clock-jump", Target: "zk3", InEffect: 4 * sec, End: 8 * sec}
	node1Clock := faults.FaultWindow{Name: "node1 clock 30s", Kind: "node-clock", Target: "node1", InEffect: 4 * sec, End: 8 * sec}
	node2Clock := faults.FaultWindow{Name: "node2 clock 30s", Kind: "node-clock", Target: "node2", InEffect: 4 * sec, End: 8 * sec}
	fired := Firing{Node: "node2", Start: 3 * sec, End: 6 * sec}
	job := Interval{Node: "node2", Start: 3500 * time.Millisecond, End: 6 * sec}
	for _, tc := range []struct {
		name      string
		exit      int
		ranJob    bool
		faults    []faults.FaultWindow
		wrapper   string
		oncePer   bool
		explained bool
	}{
		{"the job's status", 0, true, nil, "", false, true},
		{"refused by the fenced resource", 3, true, nil, "", false, true},
		{"busy", 75, false, nil, "", false, true},
		{"a skip without --once-per", 0, false, nil, "", false, false},
		{"a --once-per skip", 0, false, nil, "", true, true},
		{"busy, tried once", 0, false, nil, WrapperClassic, false, true},
		{"fenced with its node cut", 79, true, []faults.FaultWindow{partitionNode2}, "", false, true},
		{"fenced under quorum loss", 79, true, []faults.FaultWindow{quorumLoss}, "", false, true},
		{"fenced while another node was cut", 79, true, []faults.FaultWindow{partitionNode1}, "", false, false},
		{"fenced with no fault", 79, true, nil, "", false, false},
		{"unavailable under quorum loss", 69, false, []faults.FaultWindow{quorumLoss}, "", false, true},
		{"unavailable with no fault", 69, false, nil, "", false, false},
		{"killed by the harness", 137, true, []faults.FaultWindow{killNode2}, "", false, true},
		{"killed while another node's wrapper was", 137, true, []faults.FaultWindow{killNode1}, "", false, false},
		{"internal error, whatever the faults", 70, false, []faults.FaultWindow{quorumLoss, partitionNode2}, "", false, false},
		{"unavailable while the ensemble elects", 69, false, nil, "", false, true},
		{"clock refusal under a server's clock step", 81, false, []faults.FaultWindow{leaderClock}, "", true, true},
		{"clock refusal under its own node's clock", 81, false, []faults.FaultWindow{node2Clock}, "", true, true},
		{"clock refusal under another node's clock", 81, false, []faults.FaultWindow{node1Clock}, "", true, false},
		{"clock refusal with no fault", 81, false, nil, "", true, false},
		{"unavailable under a server's clock step", 69, false, []faults.FaultWindow{leaderClock}, "", true, true},
		{"fenced under a server's clock step", 79, true, []faults.FaultWindow{leaderClock}, "", true, true},
		{"fenced under another node's clock", 79, true, []faults.FaultWindow{node1Clock}, "", true, false},
		{"unavailable under another node's clock", 69, false, []faults.FaultWindow{node1Clock}, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fired
			f.Exit, f.Wrapper = tc.exit, tc.wrapper
			h := &History{Nodes: []string{"node1", "node2"}, Firings: []Firing{f}, Faults: tc.faults, OncePer: tc.oncePer, Duration: 10 * sec}
			if strings.Contains(tc.name, "elects") {
				h.Leaders = []LeaderChange{{At: 0, Leader: 1}, {At: 4 * sec, Leader: 0}, {At: 9 * sec, Leader: 2}}
			}
			if tc.ranJob {
				h.Intervals = []Interval{job}
			}
			v, unexplained := checkExits(h)
			if v.Pass != tc.explained || (len(unexplained) == 0) != tc.explained {
				t.Fatalf("exit %d: explained=%v, want %v: %s", tc.exit, v.Pass, tc.explained, v.Detail)
			}
			if !tc.explained && !strings.Contains(v.Detail, "node2 exited") {
				t.Fatalf("the verdict does not name the wrapper and its exit: %s", v.Detail)
			}
		})
	}
}

func TestFencingNotApplicableWithoutWrites(t *testing.T) {
	h := cleanHistory()
	h.Command = []string{"true"}
	for i := range h.Intervals {
		h.Intervals[i].Writes = 0
	}
	if v := verdict(t, Check(h, Expect{}), "S2"); !v.Pass || !strings.Contains(v.Detail, "not applicable") {
		t.Fatalf("S2 with nothing written: %+v", v)
	}
	if v := verdict(t, Check(cleanHistory(), Expect{}), "S2"); strings.Contains(v.Detail, "not applicable") {
		t.Fatalf("S2 with writes: %+v", v)
	}
}

func TestSummaryCountsCauses(t *testing.T) {
	h := cleanHistory()
	h.Faults = []faults.FaultWindow{{Name: "pause holder", Kind: "pause-wrapper", Target: "node2", InEffect: 2 * sec, End: 4 * sec}}
	h.Intervals = append(h.Intervals, Interval{Node: "node1", Token: 13, Start: 2500 * time.Millisecond, End: 3500 * time.Millisecond})
	h.Firings = append(h.Firings, Firing{Node: "node2", Start: 3 * sec, End: 5 * sec, Exit: 79})
	s := Summarize(h, Check(h, Expect{S1MayFail: true}))
	if s.FencedBy["pause-wrapper"] != 1 || s.Overlaps != 1 || s.InPause != 1 || s.JobsHeld != 3 {
		t.Fatalf("summary %+v", s)
	}
	table := s.Table(10 * sec)
	for _, want := range []string{"jobs fenced          1 (pause-wrapper 1)", "1 inside a pause"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

// TestSummaryNamesNoCauseOfNone: with nothing fenced the line is a bare 0.
func TestSummaryNamesNoCauseOfNone(t *testing.T) {
	h := cleanHistory()
	table := Summarize(h, Check(h, Expect{})).Table(10 * sec)
	if !strings.Contains(table, "jobs fenced          0\n") || strings.Contains(table, "()") {
		t.Fatalf("table:\n%s", table)
	}
}

// TestCheckersNamedAsTheirVerdicts: the checker table's names are the
// verdicts' own, each once.
func TestCheckersNamedAsTheirVerdicts(t *testing.T) {
	h := cleanHistory()
	h.Command = []string{"true"}
	h.Firings[0].Wrapper, h.Firings[1].Wrapper = WrapperZooLocked, RecipeC
	exp := Expect{}
	exp.Runs.Min, exp.Runs.Max = 1, 2
	j := measure(h, exp)
	seen := map[string]bool{}
	for _, c := range checkers {
		if seen[c.name] {
			t.Errorf("checker %s twice", c.name)
		}
		seen[c.name] = true
		if v, ok := c.judge(j); ok && v.Name != c.name {
			t.Errorf("checker %s gives the verdict %s", c.name, v.Name)
		}
	}
}
