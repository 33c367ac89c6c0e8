package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/chaos/report"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

const runSynopsis = `zoo-chaos run NAME [flags] [-- COMMAND [ARGS...]]
       run one scenario (zoo-chaos list shows them); exit 1 when a required verdict fails.
       With -- COMMAND, every simulated node runs COMMAND under the real zoo-locked (with the
       scenario's wrapper flags) instead of the built-in job; COMMAND gets ZOOLOCKED_* and
       ZOOCHAOS_NODE in its environment, and S1-S4 and L1 are judged on it`

func list() int {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, s := range scenarios.All() {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Doc)
	}
	for _, s := range []chaos.Scenario{scenarios.Unsafe(), scenarios.UnsafeClock(), scenarios.Soak()} {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Doc)
	}
	w.Flush()
	return 0
}

type runOptions struct {
	seed     int64
	nodes    int
	duration time.Duration
	report   string
	backend  string
	zk       string
	plan     string
	check    string
	timing   string
	junit    string
	wrapper  string
}

func runFlags(o *runOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.Int64Var(&o.seed, "seed", 1, "seed of the fault schedule (same seed, same schedule)")
	fs.IntVar(&o.nodes, "nodes", 0, "simulated cron nodes (default: the scenario's, 3)")
	fs.DurationVar(&o.duration, "duration", 0, "how long nodes fire the job (default: the scenario's)")
	fs.StringVar(&o.report, "report", "", "write verdict.json and timeline.html here (default: a new temp dir)")
	fs.StringVar(&o.backend, "backend", "", "auto, container or process (default: ZOOLOCKED_BACKEND, else auto)")
	fs.StringVar(&o.zk, "zk", "", zkFlagUsage)
	fs.StringVar(&o.plan, "plan", "", "run this fault schedule (a plan's JSON, or a verdict.json to replay its run) instead of the seed's")
	fs.StringVar(&o.timing, "timing", "", "fast (tickTime 200 ms, 3 s sessions) or production (tickTime 2 s, the wrapper's 10 s sessions and 2 s grace) (default: the scenario's)")
	fs.StringVar(&o.wrapper, "wrapper", "", "fire this lock tool on every node instead of zoo-locked: a shell command line with {zk}, {path}, {name} and {job}, e.g. 'mylock {zk} {path} sh -c {job}'")
	fs.StringVar(&o.junit, "junit", "", "also write the verdicts to FILE as JUnit XML, one test case per verdict, for CI (the exit status is unchanged)")
	fs.StringVar(&o.check, "check", "", "after the run, run this shell command with $ZOOCHAOS_HISTORY naming the history's JSON; its exit status is a required verdict (the user's invariant)")
	return fs
}

func runScenario(args []string) int {
	var o runOptions
	fs := runFlags(&o)
	if done, code := parseFlags(fs, args, runSynopsis); done {
		return code
	}
	var command []string
	if dash := fs.ArgsLenAtDash(); dash >= 0 {
		command = fs.Args()[dash:]
		if len(command) == 0 {
			fmt.Fprintln(os.Stderr, "zoo-chaos run: nothing after --: want -- COMMAND [ARGS...], the job every node runs under zoo-locked")
			return exitcode.Usage
		}
	}
	sc, ok := scenarioArg("run", fs.Args()[:fs.NArg()-len(command)])
	if !ok {
		return exitcode.Usage
	}
	if o.nodes < 0 || o.duration < 0 || (o.nodes == 1) {
		fmt.Fprintln(os.Stderr, "zoo-chaos run: --nodes must be at least 2 and --duration positive")
		return exitcode.Usage
	}
	image, ok := zkImage("run", o.zk)
	if !ok {
		return exitcode.Usage
	}
	var timing *chaos.Timing
	if o.timing != "" {
		t, ok := chaos.TimingNamed(o.timing)
		if !ok {
			fmt.Fprintf(os.Stderr, "zoo-chaos run: --timing %q: want fast or production\n", o.timing)
			return exitcode.Usage
		}
		timing = &t
	}
	var plan *faults.Plan
	if o.plan != "" {
		data, err := os.ReadFile(o.plan)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos run: --plan: %v\n", err)
			return exitcode.Usage
		}
		p, err := faults.ParsePlan(data)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos run: --plan %s: %v\n", o.plan, err)
			return exitcode.Usage
		}
		plan = &p
	}
	if o.wrapper != "" {
		if err := chaos.CheckWrapper(sc, o.wrapper); err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos run: %v\n", err)
			return exitcode.Usage
		}
	}
	tr, stop, code := prepareTrials("run", "zoo-chaos-"+sc.Name+"-", o.report)
	defer stop()
	if code != 0 {
		return code
	}
	ctx, zooLocked, self, log := tr.ctx, tr.zooLocked, tr.self, tr.log
	o.report = tr.report
	h, err := chaos.Execute(ctx, sc, chaos.TrialConfig{Seed: o.seed, Nodes: o.nodes, Duration: o.duration,
		ZooLocked: zooLocked, Job: self, Backend: o.backend, Image: image, Logger: log, Command: command, Plan: plan, Timing: timing,
		Wrapper: o.wrapper})
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos run:", err)
		return exitcode.Unavailable
	}
	rep := checker.Check(h, sc.Expect)
	if err := report.Write(o.report, h, rep); err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos run: write report:", err)
		return exitcode.Internal
	}
	if o.check != "" {
		log.Info("running the check", "check", o.check)
		checker.CheckInvariant(ctx, []string{"/bin/sh", "-c", o.check}, filepath.Join(o.report, report.VerdictFile), &rep)
		if err := report.Write(o.report, h, rep); err != nil {
			fmt.Fprintln(os.Stderr, "zoo-chaos run: write report:", err)
			return exitcode.Internal
		}
	}
	if o.junit != "" {
		if err := report.WriteJUnit(o.junit, h, rep); err != nil {
			fmt.Fprintln(os.Stderr, "zoo-chaos run: --junit:", err)
			return exitcode.Internal
		}
	}
	printVerdict(sc, h, rep, o.report)
	if !rep.Pass {
		return 1
	}
	return 0
}

// binaries finds zoo-locked beside this binary (make build puts both in
// bin/), else builds both from the repository.
func binaries(ctx context.Context) (zooLocked, zooChaos string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	sibling := filepath.Join(filepath.Dir(self), "zoo-locked")
	if _, err := os.Stat(sibling); err == nil {
		return sibling, self, nil
	}
	dir, err := os.MkdirTemp("", "zoo-chaos-bin-")
	if err != nil {
		return "", "", err
	}
	return chaos.BuildBinaries(ctx, dir)
}

func printVerdict(sc chaos.Scenario, h *checker.History, rep checker.Report, dir string) {
	status := "PASS"
	if !rep.Pass {
		status = "FAIL"
	}
	fmt.Printf("\n%s %s (seed %d, %d nodes, T=%v): %d jobs, %d overlaps, %d stale writes accepted, worst takeover %v\n",
		status, sc.Name, h.Seed, len(h.Nodes), h.SessionTimeout, rep.JobsCompleted, rep.Overlaps, rep.StaleAccepted, rep.WorstTakeover.Round(time.Millisecond))
	for _, v := range rep.Verdicts {
		mark := "ok  "
		if !v.Pass {
			mark = "FAIL"
			if !v.Required {
				mark = "(fail, not required)"
			}
		}
		fmt.Printf("  %-8s %-4s %-28s %s\n", v.Name, mark, v.Title, v.Detail)
	}
	fmt.Print(checker.Summarize(h, rep).Table(h.Duration))
	if dir == "" {
		return
	}
	fmt.Printf("timeline: %s\nverdict:  %s\n", filepath.Join(dir, report.TimelineFile), filepath.Join(dir, report.VerdictFile))
}
