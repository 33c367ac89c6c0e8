package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/report"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

const compareSynopsis = `zoo-chaos compare --scenarios A,B,... --tool NAME=TEMPLATE... [flags]
       run the same scenarios on the same seed for zoo-locked and each --tool (a --wrapper
       template), and print one table: overlaps, worst overlap, stale writes accepted,
       orphans left, worst takeover, jobs completed. Exit 0 once every trial has run,
       whatever the tools' verdicts: the table is the finding`

type compareOptions struct {
	scenarios []string
	tools     []string
	seed      int64
	report    string
	backend   string
	zk        string
}

func compareFlags(o *compareOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	fs.StringSliceVar(&o.scenarios, "scenarios", nil, "the scenarios to run for every tool, comma-separated (zoo-chaos list shows them)")
	fs.StringArrayVar(&o.tools, "tool", nil, "a tool to compare, NAME=TEMPLATE, where TEMPLATE is as run's --wrapper; repeatable (zoo-locked itself is always the first row)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of every fault schedule (same seed, same schedule for every tool)")
	fs.StringVar(&o.report, "report", "", "write compare.md, compare.html, compare.json and each trial's report (TOOL/SCENARIO/) here (default: a new temp dir)")
	fs.StringVar(&o.backend, "backend", "", "auto, container or process (default: ZOOLOCKED_BACKEND, else auto)")
	fs.StringVar(&o.zk, "zk", "", zkFlagUsage)
	return fs
}

// compareTool is one row group of the table; an empty template is
// zoo-locked itself, fired as the scenario fires it.
type compareTool struct{ name, template string }

// toolNamePattern keeps a tool's name usable as a directory of the report.
var toolNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func compare(args []string) int {
	var o compareOptions
	fs := compareFlags(&o)
	if done, code := parseFlags(fs, args, compareSynopsis); done {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "zoo-chaos compare: "+format+"\n", a...)
		return exitcode.Usage
	}
	if fs.NArg() > 0 {
		return usage("unexpected %q: name scenarios with --scenarios A,B", fs.Arg(0))
	}
	if len(o.scenarios) == 0 {
		return usage("no scenarios: name them with --scenarios, e.g. --scenarios holder-sigkill,baseline (zoo-chaos list shows them)")
	}
	var scs []chaos.Scenario
	for _, name := range o.scenarios {
		sc := scenarios.Get(name)
		if sc.Name == "" {
			return usage("no scenario %q (zoo-chaos list shows them)", name)
		}
		scs = append(scs, sc)
	}
	tools := []compareTool{{name: "zoo-locked"}}
	for _, spec := range o.tools {
		name, template, ok := strings.Cut(spec, "=")
		switch {
		case !ok || template == "":
			return usage("--tool %q: want NAME=TEMPLATE, e.g. --tool 'mylock=mylock {zk} {path} sh -c {job}'", spec)
		case !toolNamePattern.MatchString(name):
			return usage("--tool %q: a name of letters, digits, '.', '_' and '-', e.g. kazoo", spec)
		}
		for _, t := range tools {
			if t.name == name {
				return usage("--tool %s given twice (zoo-locked is always in the table): name each tool once", name)
			}
		}
		for _, sc := range scs {
			if err := chaos.CheckWrapper(sc, template); err != nil {
				return usage("--tool %s: %v", name, err)
			}
		}
		tools = append(tools, compareTool{name, template})
	}
	if len(tools) == 1 {
		return usage("no --tool to compare zoo-locked with: add --tool NAME=TEMPLATE (docs/examples/peers has kazoo, Curator and the C recipe)")
	}
	image, ok := zkImage("compare", o.zk)
	if !ok {
		return exitcode.Usage
	}
	tr, stop, code := prepareTrials("compare", "zoo-chaos-compare-", o.report)
	defer stop()
	if code != 0 {
		return code
	}
	ctx, zooLocked, self, log := tr.ctx, tr.zooLocked, tr.self, tr.log
	o.report = tr.report
	c := report.Comparison{Seed: o.seed}
	for i, tool := range tools {
		for j, sc := range scs {
			log.Info("compare: trial", "tool", tool.name, "scenario", sc.Name, "trial", fmt.Sprintf("%d of %d", i*len(scs)+j+1, len(tools)*len(scs)))
			h, err := chaos.Execute(ctx, sc, chaos.TrialConfig{Seed: o.seed, ZooLocked: zooLocked, Job: self,
				Backend: o.backend, Image: image, Logger: log, Wrapper: tool.template})
			if err != nil {
				fmt.Fprintf(os.Stderr, "zoo-chaos compare: %s on %s: %v\n", tool.name, sc.Name, err)
				return exitcode.Unavailable
			}
			rep := checker.Check(h, sc.Expect)
			dir := filepath.Join(tool.name, sc.Name)
			if err := report.Write(filepath.Join(o.report, dir), h, rep); err != nil {
				fmt.Fprintln(os.Stderr, "zoo-chaos compare: write report:", err)
				return exitcode.Internal
			}
			c.Rows = append(c.Rows, report.CompareRowOf(tool.name, h, rep, dir))
		}
	}
	if err := report.WriteComparison(o.report, c); err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos compare: write report:", err)
		return exitcode.Internal
	}
	fmt.Printf("\nseed %d\n%s\ntable: %s\n", o.seed, c.Text(), filepath.Join(o.report, report.CompareHTMLFile))
	return 0
}
