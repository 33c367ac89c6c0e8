package checker

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

const sec = time.Second

// cleanHistory is two nodes taking turns with no fault
// (testdata/clean-history.json, which the report's tests read too).
func cleanHistory() *History {
	data, err := os.ReadFile("testdata/clean-history.json")
	if err != nil {
		panic(err)
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		panic(err)
	}
	return &h
}

func verdict(t *testing.T, rep Report, name string) Verdict {
	t.Helper()
	for _, v := range rep.Verdicts {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict %s", name)
	return Verdict{}
}

func TestCheckerPassesCleanHistory(t *testing.T) {
	rep := Check(cleanHistory(), Expect{RideThrough: true})
	if !rep.Pass {
		t.Fatalf("clean history failed: %+v", rep.Verdicts)
	}
}

// Every verdict is fed a history that breaks it and must fail.
func TestCheckerFailsBadHistories(t *testing.T) {
	for _, tc := range []struct {
		verdict string
		expect  Expect
		breakIt func(h *History)
	}{
		{"S1", Expect{}, func(h *History) { h.Intervals[1].Start = 1500 * time.Millisecond }},
		{"S2", Expect{}, func(h *History) { h.Intervals[1].StaleAccepted = 1 }},
		{"S2", Expect{}, func(h *History) { h.Intervals[1].Token = 9 }},
		{"S3", Expect{}, func(h *History) { h.Orphans = []int{4242} }},
		{"S4", Expect{}, func(h *History) { h.Firings[0].End = 1500 * time.Millisecond }},
		{"L1", Expect{}, func(h *History) {
			h.Faults = []faults.FaultWindow{{Name: "kill -9 holder wrapper", InEffect: 1500 * time.Millisecond, HolderLoss: true}}
			h.Intervals[1].Start = 1500*time.Millisecond + h.SessionTimeout + 1100*time.Millisecond
			h.Intervals[1].End = h.Intervals[1].Start + sec
		}},
		{"L3", Expect{RideThrough: true}, func(h *History) { h.Firings[0].Exit = exitcode.LockLost }},
		{"progress", Expect{}, func(h *History) {
			for i := range h.Firings {
				h.Firings[i].Exit = 75
			}
		}},
		{"stuck", Expect{}, func(h *History) { h.LeftZnodes = []string{"_c_x-lock-0000000001"} }},
	} {
		h := cleanHistory()
		tc.breakIt(h)
		rep := Check(h, tc.expect)
		if v := verdict(t, rep, tc.verdict); v.Pass || rep.Pass {
			t.Errorf("%s: bad history passed (%+v)", tc.verdict, v)
		}
	}
}

func TestCheckerS1MayFailOnlyWhereExpected(t *testing.T) {
	h := cleanHistory()
	h.Intervals[1].Start = 1500 * time.Millisecond
	if rep := Check(h, Expect{S1MayFail: true}); !rep.Pass {
		t.Fatalf("S1MayFail scenario failed on an overlap: %+v", rep.Verdicts)
	}
	if rep := Check(cleanHistory(), Expect{S1MustFail: true}); rep.Pass {
		t.Fatal("S1MustFail scenario passed without an overlap")
	}
	rep := Check(h, Expect{})
	if rep.Overlaps != 1 || rep.WorstOverlap != 500*time.Millisecond {
		t.Fatalf("overlaps %d worst %v", rep.Overlaps, rep.WorstOverlap)
	}
}

func TestCheckerLimitAllowsNAtOnce(t *testing.T) {
	h := cleanHistory()
	h.Nodes = append(h.Nodes, "node3")
	h.Intervals = []Interval{
		{Node: "node1", Token: 10, Start: 1 * sec, End: 3 * sec},
		{Node: "node2", Token: 11, Start: 2 * sec, End: 4 * sec},
	}
	h.Firings[0].End, h.Firings[1].End = 3*sec, 4*sec
	if rep := Check(h, Expect{Limit: 2}); !rep.Pass {
		t.Fatalf("two at once under --limit 2 failed: %+v", rep.Verdicts)
	}
	h.Intervals = append(h.Intervals, Interval{Node: "node3", Token: 12, Start: 2500 * time.Millisecond, End: 5 * sec})
	h.Firings = append(h.Firings, Firing{Node: "node3", Start: 0, End: 5 * sec})
	rep := Check(h, Expect{Limit: 2})
	if rep.Pass || rep.Overlaps != 1 || rep.WorstOverlap != 500*time.Millisecond {
		t.Fatalf("three at once under --limit 2: pass=%v overlaps=%d worst=%v", rep.Pass, rep.Overlaps, rep.WorstOverlap)
	}
}

func TestCheckerRunsPerSlot(t *testing.T) {
	exp := Expect{}
	exp.Runs.Min, exp.Runs.Max = 1, 1
	if rep := Check(cleanHistory(), exp); rep.Pass || verdict(t, rep, "once").Pass {
		t.Fatal("two runs in a once-per slot passed")
	}
	h := cleanHistory()
	h.Intervals = h.Intervals[:1]
	h.OncePer = true
	if rep := Check(h, exp); !rep.Pass {
		t.Fatalf("one run failed: %+v", rep.Verdicts)
	}
}

// TestCheckerL1SkipsConfoundedTakeovers: a takeover delayed by another
// fault (here a quorum loss) is not judged; one without is.
func TestCheckerL1SkipsConfoundedTakeovers(t *testing.T) {
	h := cleanHistory()
	h.Faults = []faults.FaultWindow{
		{Name: "kill -9 holder wrapper", InEffect: 1500 * time.Millisecond, End: 1600 * time.Millisecond, HolderLoss: true},
		{Name: "quorum loss", InEffect: 2 * sec, End: 8 * sec},
	}
	h.Intervals[1].Start, h.Intervals[1].End = 9*sec, 10*sec
	h.Firings[1].End = 10 * sec
	if rep := Check(h, Expect{}); !verdict(t, rep, "L1").Pass {
		t.Fatalf("confounded takeover judged: %+v", verdict(t, rep, "L1"))
	}
	h.Faults = h.Faults[:1]
	if rep := Check(h, Expect{}); verdict(t, rep, "L1").Pass {
		t.Fatal("a 7.5 s takeover with no other fault passed L1")
	}
}

// TestCheckerTokenOrderAllowsConcurrentHolders: under --limit two holders
// may reach the witness in either token order; a job after another ended
// must still carry a greater token.
func TestCheckerTokenOrderAllowsConcurrentHolders(t *testing.T) {
	h := cleanHistory()
	h.Intervals = []Interval{
		{Node: "node1", Token: 12, Start: 1 * sec, End: 3 * sec},
		{Node: "node2", Token: 10, Start: 1100 * time.Millisecond, End: 3 * sec},
	}
	h.Firings[0].End, h.Firings[1].End = 3*sec, 3*sec
	if rep := Check(h, Expect{Limit: 2}); !verdict(t, rep, "S2").Pass {
		t.Fatalf("concurrent holders in reverse token order failed S2: %+v", verdict(t, rep, "S2"))
	}
	// The lower token's job starts after the higher one's ended: under a
	// semaphore both contenders were granted together (the holder of 12
	// was killed early and its znode outlived its job; the holder of 10
	// noticed its grant late), which the limit scenario saw happen. For a
	// mutex the same history is a stale holder.
	h.Intervals[0].End = 1050 * time.Millisecond
	if rep := Check(h, Expect{Limit: 2}); !verdict(t, rep, "S2").Pass {
		t.Fatalf("a semaphore holder that started after a later contender's job ended failed S2: %+v", verdict(t, rep, "S2"))
	}
	if rep := Check(h, Expect{Limit: 1}); verdict(t, rep, "S2").Pass {
		t.Fatal("a mutex holder with a lower token than a job ended before it passed S2")
	}
}

// TestCheckerL1BoundsByHowTheHolderWent: a killed zoo-locked wrapper's
// keeper closes the session, so a 2 s takeover misses its 1 s bound; the
// same takeover passes after a fault that leaves the session to expire,
// and under a --wrapper template, which has no keeper.
func TestCheckerL1BoundsByHowTheHolderWent(t *testing.T) {
	history := func(kind string) *History {
		h := cleanHistory()
		h.TickTime = 200 * time.Millisecond
		h.Faults = []faults.FaultWindow{{Name: kind, Kind: kind, Target: "node1", InEffect: 1500 * time.Millisecond, End: 1600 * time.Millisecond, HolderLoss: true}}
		h.Firings[0].End = 1600 * time.Millisecond
		h.Intervals[0].End = 1550 * time.Millisecond
		h.Intervals[1].Start, h.Intervals[1].End = 3500*time.Millisecond, 4*sec
		h.Firings[1].End = 4 * sec
		return h
	}
	if v := verdict(t, Check(history(faults.KillWrapperKind.Name), Expect{}), "L1"); v.Pass {
		t.Errorf("a 2 s takeover after a killed zoo-locked wrapper passed: %+v", v)
	}
	if v := verdict(t, Check(history(faults.PartitionKind.Name), Expect{}), "L1"); !v.Pass {
		t.Errorf("a 2 s takeover after a partition failed: %+v", v)
	}
	h := history(faults.KillWrapperKind.Name)
	h.Wrapper = "mylock {zk} {path} {job}"
	if v := verdict(t, Check(h, Expect{}), "L1"); !v.Pass {
		t.Errorf("a 2 s takeover after a killed --wrapper tool failed: %+v", v)
	}
}

// TestCheckerL1SeesFaultsWhileInjected: a fault still being injected when
// the takeover window closes (servers stopping) confounds that takeover.
func TestCheckerL1SeesFaultsWhileInjected(t *testing.T) {
	h := cleanHistory()
	h.Faults = []faults.FaultWindow{
		{Name: "kill -9 holder wrapper", InjectionBegan: 1500 * time.Millisecond, InEffect: 1500 * time.Millisecond, End: 1500 * time.Millisecond, HolderLoss: true},
		{Name: "quorum loss", InjectionBegan: 1500*time.Millisecond + h.SessionTimeout, InEffect: 1500*time.Millisecond + h.SessionTimeout + 1500*time.Millisecond, End: 9 * sec},
	}
	h.Intervals[1].Start = 9 * sec
	h.Intervals[1].End = 10 * sec
	if v := verdict(t, Check(h, Expect{}), "L1"); !v.Pass {
		t.Fatalf("a takeover the quorum loss prevented was judged: %+v", v)
	}
}
