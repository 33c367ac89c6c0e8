package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/chaos/report"
)

// tokenGuard is the worked example's job and check (docs/examples).
func tokenGuard(t *testing.T) (job, check string) {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "docs", "examples", "token-guard")
	t.Setenv("LEDGER_DIR", t.TempDir())
	t.Setenv("JOB_LINES", "30") // 3 s of lines
	return filepath.Join(dir, "job.sh"), filepath.Join(dir, "check.sh")
}

func verdictOf(t *testing.T, rep checker.Report, name string) checker.Verdict {
	t.Helper()
	for _, v := range rep.Verdicts {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict %s in %+v", name, rep.Verdicts)
	return checker.Verdict{}
}

// TestUserJobUnderFire: the worked example's job, run by every node under
// a holder crash and a holder partition, keeps every guarantee and its own
// invariant.
func TestUserJobUnderFire(t *testing.T) {
	for _, name := range []string{"holder-sigkill", "holder-partition"} {
		t.Run(name, func(t *testing.T) {
			job, check := tokenGuard(t)
			h, rep, dir := trial(t, Get(name), chaos.TrialConfig{Seed: 1, Command: []string{job}, Ensemble: chaostest.SharedEnsemble(t)})
			checker.CheckInvariant(context.Background(), []string{check}, filepath.Join(dir, report.VerdictFile), &rep)
			if !rep.Pass {
				for _, v := range rep.Verdicts {
					t.Logf("  %s %v required=%v: %s", v.Name, v.Pass, v.Required, v.Detail)
				}
				t.Fatalf("%s with the user's job failed; report in %s\n%s", name, dir, h.WrapperLog)
			}
			ended := 0
			for _, iv := range h.Intervals {
				if iv.Exit != nil {
					ended++
				}
			}
			if ended == 0 {
				t.Fatalf("the shim reported no job's end: %+v", h.Intervals)
			}
			if v := verdictOf(t, rep, "invariant"); !v.Pass || !strings.Contains(v.Detail, "none under a stale token") {
				t.Fatalf("invariant: %+v", v)
			}
		})
	}
}

// TestUserJobUnsafeWrapperFailsS1: the same job under the wrapper with its
// fence disabled overlaps, and the checker says so.
func TestUserJobUnsafeWrapperFailsS1(t *testing.T) {
	job, _ := tokenGuard(t)
	// Six seconds of lines: long enough for a partitioned holder's job to
	// outlive its session when nothing fences it.
	t.Setenv("JOB_LINES", "60")
	_, rep, _ := trial(t, Unsafe(), chaos.TrialConfig{Seed: 1, Command: []string{job}, Ensemble: chaostest.SharedEnsemble(t)})
	if rep.Overlaps == 0 || !verdictOf(t, rep, "S1").Pass {
		t.Fatalf("no overlap of the user's job seen with the fence disabled: %+v", verdictOf(t, rep, "S1"))
	}
}

// TestUserJobThatIgnoresSIGTERM shows up under graceful stop, with advice.
func TestUserJobThatIgnoresSIGTERM(t *testing.T) {
	stubborn := filepath.Join(t.TempDir(), "stubborn.sh")
	if err := os.WriteFile(stubborn, []byte("#!/bin/sh\ntrap '' TERM\nsleep 8\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, rep, _ := trial(t, Get("holder-partition"), chaos.TrialConfig{Seed: 1, Command: []string{stubborn}, Ensemble: chaostest.SharedEnsemble(t)})
	v := verdictOf(t, rep, "graceful")
	if v.Pass || v.Required || !strings.Contains(v.Detail, "needed SIGKILL") || !strings.Contains(v.Detail, "trap TERM") {
		t.Fatalf("graceful stop of a job that ignores SIGTERM: %+v", v)
	}
}

// TestFailingCheckFailsTheRun: the user's invariant is a required verdict.
func TestFailingCheckFailsTheRun(t *testing.T) {
	sc := Get("baseline")
	sc.Duration = 4 * time.Second
	_, rep, dir := trial(t, sc, chaos.TrialConfig{Seed: 1, Command: []string{"true"}, Ensemble: chaostest.SharedEnsemble(t)})
	if !rep.Pass {
		t.Fatalf("baseline with true failed before the check")
	}
	checker.CheckInvariant(context.Background(), []string{"sh", "-c", `test -s "$ZOOCHAOS_HISTORY" && echo "2 invoices for customer 7 in one slot" && exit 1`},
		filepath.Join(dir, report.VerdictFile), &rep)
	if v := verdictOf(t, rep, "invariant"); rep.Pass || v.Pass || !v.Required || !strings.Contains(v.Detail, "2 invoices for customer 7") {
		t.Fatalf("a failing check: pass %v, %+v", rep.Pass, v)
	}
}

// TestReplayedPlan: a run's verdict.json, replayed with --plan, executes
// the same faults on the same roles at the same offsets (within 200 ms).
func TestReplayedPlan(t *testing.T) {
	plan := faults.Plan{Steps: []faults.PlanStep{
		{At: faults.Duration(2 * time.Second), For: faults.Duration(2 * time.Second), FaultSpec: faults.FaultSpec{Kind: "kill-server", Target: "leader"}},
		{At: faults.Duration(7 * time.Second), For: faults.Duration(time.Second), FaultSpec: faults.FaultSpec{Kind: "pause-server", Target: "zk3"}},
		{At: faults.Duration(10 * time.Second), For: faults.Duration(time.Second), FaultSpec: faults.FaultSpec{Kind: "partition", Target: "node2"}},
	}}
	sc := Get("baseline")
	sc.Duration = 13 * time.Second
	first, _, dir := trial(t, sc, chaos.TrialConfig{Seed: 1, Plan: &plan, Ensemble: chaostest.SharedEnsemble(t)})
	recorded, err := os.ReadFile(filepath.Join(dir, report.VerdictFile))
	if err != nil {
		t.Fatal(err)
	}
	replay, err := faults.ParsePlan(recorded)
	if err != nil {
		t.Fatalf("verdict.json is not a plan: %v", err)
	}
	second, _, _ := trial(t, sc, chaos.TrialConfig{Seed: 99, Plan: &replay, Ensemble: chaostest.SharedEnsemble(t)})
	if len(first.Faults) != 3 || len(second.Faults) != len(first.Faults) {
		t.Fatalf("faults: %d, then %d on replay", len(first.Faults), len(second.Faults))
	}
	for i, a := range first.Faults {
		b := second.Faults[i]
		if a.Spec != b.Spec || a.Error != "" || b.Error != "" {
			t.Errorf("step %d: %+v, replayed as %+v", i+1, a, b)
		}
		if d := (a.InjectionBegan - b.InjectionBegan).Abs(); d > 200*time.Millisecond {
			t.Errorf("step %d (%s): began at %v, replayed at %v (%v apart)", i+1, a.Name, a.InjectionBegan, b.InjectionBegan, d)
		}
	}
}
