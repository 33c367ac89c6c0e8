package scenarios

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/chaos/report"
)

func TestMain(m *testing.M) { os.Exit(chaostest.Main(m)) }

// run executes a scenario, writes its report under the test's temp dir (or
// $ZOOCHAOS_REPORTS), and asserts and returns the verdicts.
func run(t *testing.T, sc chaos.Scenario, seed int64) checker.Report {
	t.Helper()
	return judge(t, sc, chaos.TrialConfig{Seed: seed, Backend: catalogueBackend()})
}

// catalogueBackend is where the catalogue's trials start their ensembles:
// local processes, which start in a third of a container's time, unless
// ZOOLOCKED_BACKEND says otherwise. The container backend is proven by the
// harness's own tests, the user's-job trials and the other versions'.
func catalogueBackend() string {
	if b := os.Getenv("ZOOLOCKED_BACKEND"); b != "" {
		return b
	}
	return ensemble.BackendProcess
}

// runOn is run with seed 1 on a running ensemble.
func runOn(t *testing.T, sc chaos.Scenario, e *ensemble.Ensemble) checker.Report {
	t.Helper()
	return judge(t, sc, chaos.TrialConfig{Seed: 1, Ensemble: e})
}

func judge(t *testing.T, sc chaos.Scenario, cfg chaos.TrialConfig) checker.Report {
	t.Helper()
	h, rep, dir := trial(t, sc, cfg)
	if !rep.Pass {
		for _, v := range rep.Verdicts {
			t.Logf("  %s %v required=%v: %s", v.Name, v.Pass, v.Required, v.Detail)
		}
		t.Logf("wrappers:\n%s", h.WrapperLog)
		t.Errorf("%s failed; report in %s", sc.Name, dir)
	}
	return rep
}

// trial executes a scenario with cfg (binaries and logger filled in) and
// returns its history, its verdicts and its report's directory.
func trial(t *testing.T, sc chaos.Scenario, cfg chaos.TrialConfig) (*checker.History, checker.Report, string) {
	t.Helper()
	cfg.ZooLocked, cfg.Job = chaostest.Binaries(t)
	cfg.Logger = slog.New(slog.NewTextHandler(chaostest.Log(t), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h, err := chaos.Execute(ctx, sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep := checker.Check(h, sc.Expect)
	dir := os.Getenv("ZOOCHAOS_REPORTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, fmt.Sprintf("%s-seed%d", sc.Name, cfg.Seed))
	if err := report.Write(dir, h, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s seed %d: %d jobs, %d overlaps (worst %v), %d stale accepted, %d stale refused, takeovers %v (T=%v), %d fenced",
		sc.Name, cfg.Seed, rep.JobsCompleted, rep.Overlaps, rep.WorstOverlap.Round(time.Millisecond), rep.StaleAccepted, rep.StaleRejected,
		roundAll(rep.Takeovers), h.SessionTimeout, rep.Fenced)
	return h, rep, dir
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// TestCatalogue runs every scenario once and asserts its verdicts.
func TestCatalogue(t *testing.T) {
	for _, sc := range All() {
		if sc.Name == "rolling-upgrade" {
			continue // TestRollingUpgrade runs it, and checks the versions after
		}
		t.Run(sc.Name, func(t *testing.T) { run(t, sc, 1) })
	}
}

// TestUnsafeWrapperFailsS1: with the fence disabled, a partitioned holder's
// job outlives its session and the checker must see the overlap.
func TestUnsafeWrapperFailsS1(t *testing.T) {
	rep := run(t, Unsafe(), 1)
	if rep.Overlaps == 0 {
		t.Fatal("no overlap seen with the fence disabled: the checker is blind")
	}
}

// TestUnsafeClockFailsSlots: with the clock bound off, a leader's clock
// stepping an hour each way runs the hourly job more than once in the true
// hour, and the slot verdict must say so.
func TestUnsafeClockFailsSlots(t *testing.T) {
	rep := run(t, UnsafeClock(), 1)
	for _, v := range rep.Verdicts {
		if v.Name == "slots" {
			t.Logf("slots: %s", v.Detail)
			return
		}
	}
	t.Fatal("no slot verdict for a --once-per trial")
}

// TestRandomSeeds: the random nemesis passes for fixed seeds.
func TestRandomSeeds(t *testing.T) {
	for seed := int64(2); seed <= 3; seed++ { // seed 1 runs in TestCatalogue; make soak draws many more
		t.Run(fmt.Sprint(seed), func(t *testing.T) { run(t, Get("random"), seed) })
	}
}

func TestSameSeedSameSchedule(t *testing.T) {
	describe := func(seed int64) []string {
		var out []string
		for _, s := range Get("random").Schedule(seed, 25*time.Second) {
			out = append(out, fmt.Sprintf("%v+%v %s", s.At, s.For, s.Fault.Name()))
		}
		return out
	}
	a, b, c := describe(42), describe(42), describe(43)
	if len(a) < 3 || !reflect.DeepEqual(a, b) {
		t.Fatalf("seed 42 gave %v then %v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatalf("seeds 42 and 43 gave the same schedule %v", a)
	}
}

func TestCatalogueIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range append(All(), Unsafe(), UnsafeClock(), Soak()) {
		if sc.Name == "" || sc.Doc == "" || seen[sc.Name] {
			t.Errorf("scenario %q: missing name or doc, or duplicate", sc.Name)
		}
		seen[sc.Name] = true
		if Get(sc.Name).Name != sc.Name {
			t.Errorf("Get(%q) does not find it", sc.Name)
		}
	}
}
