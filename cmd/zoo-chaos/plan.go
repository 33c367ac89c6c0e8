package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

func planFlags(seed *int64) *pflag.FlagSet {
	fs := pflag.NewFlagSet("plan", pflag.ContinueOnError)
	fs.Int64Var(seed, "seed", 1, "seed of the fault schedule")
	return fs
}

// printPlan prints the schedule a scenario draws for a seed, as the JSON
// that run --plan takes: the starting point for writing an incident down.
func printPlan(args []string) int {
	var seed int64
	fs := planFlags(&seed)
	if done, code := parseFlags(fs, args, "zoo-chaos plan NAME [--seed N]   print the fault schedule the seed gives, as JSON for run --plan"); done {
		return code
	}
	sc, ok := scenarioArg("plan", fs.Args())
	if !ok {
		return exitcode.Usage
	}
	plan := faults.PlanOf(sc.Name, seed, sc.Schedule(seed, sc.WithDefaults().Duration))
	out, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo-chaos plan:", err)
		return exitcode.Internal
	}
	fmt.Println(string(out))
	return 0
}

// scenarioArg is the one scenario a command names, or false after saying
// on stderr what is wrong.
func scenarioArg(command string, args []string) (chaos.Scenario, bool) {
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "zoo-chaos %s: want exactly one scenario name (zoo-chaos list shows them)\n", command)
		return chaos.Scenario{}, false
	}
	sc := scenarios.Get(args[0])
	if sc.Name == "" {
		fmt.Fprintf(os.Stderr, "zoo-chaos %s: no scenario %q (zoo-chaos list shows them)\n", command, args[0])
		return chaos.Scenario{}, false
	}
	return sc, true
}
