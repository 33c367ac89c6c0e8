package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

func list() int {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, s := range scenarios.All() {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Doc)
	}
	u := scenarios.Unsafe()
	fmt.Fprintf(w, "%s\t%s\n", u.Name, u.Doc)
	w.Flush()
	return 0
}

type runOptions struct {
	seed     int64
	nodes    int
	duration time.Duration
	report   string
	backend  string
}

func runFlags(o *runOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.Int64Var(&o.seed, "seed", 1, "seed of the fault schedule (same seed, same schedule)")
	fs.IntVar(&o.nodes, "nodes", 0, "simulated cron nodes (default: the scenario's, 3)")
	fs.DurationVar(&o.duration, "duration", 0, "how long nodes fire the job (default: the scenario's)")
	fs.StringVar(&o.report, "report", "", "write verdict.json and timeline.html here (default: a new temp dir)")
	fs.StringVar(&o.backend, "backend", "", "auto, container or process (default: ZOOLOCKED_BACKEND, else auto)")
	return fs
}

func runScenario(args []string) int {
	var o runOptions
	fs := runFlags(&o)
	if done, code := parseFlags(fs, args, "zoo-chaos run NAME [flags]   run one scenario (zoo-chaos list shows them); exit 1 when a required verdict fails"); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "zoo-chaos run: want exactly one scenario name (zoo-chaos list shows them)")
		return 64
	}
	sc := scenarios.Get(fs.Arg(0))
	if sc.Name == "" {
		fmt.Fprintf(os.Stderr, "zoo-chaos run: no scenario %q (zoo-chaos list shows them)\n", fs.Arg(0))
		return 64
	}
	if o.nodes < 0 || o.duration < 0 || (o.nodes == 1) {
		fmt.Fprintln(os.Stderr, "zoo-chaos run: --nodes must be at least 2 and --duration positive")
		return 64
	}
	if o.report == "" {
		dir, err := os.MkdirTemp("", "zoo-chaos-"+sc.Name+"-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "zoo-chaos run:", err)
			return 70
		}
		o.report = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	zooLocked, self, err := binaries(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos run:", err)
		return 70
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, err := chaos.Execute(ctx, sc, chaos.TrialConfig{Seed: o.seed, Nodes: o.nodes, Duration: o.duration,
		ZooLocked: zooLocked, Job: self, Backend: o.backend, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos run:", err)
		return 69
	}
	rep := chaos.Check(h, sc.Expect)
	if err := chaos.WriteReport(o.report, h, rep); err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos run: write report:", err)
		return 70
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

func printVerdict(sc chaos.Scenario, h *chaos.History, rep chaos.Report, dir string) {
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
	fmt.Printf("timeline: %s\nverdict:  %s\n", filepath.Join(dir, chaos.TimelineFile), filepath.Join(dir, chaos.VerdictFile))
}
