// Command zoo-chaos is the chaos harness: it lists and runs the scenarios
// of the catalogue against a real ensemble, and starts an ensemble for
// trying zoo-locked by hand. See zoo-chaos --help.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
)

const usage = `Usage: zoo-chaos COMMAND [flags]

Commands:
  list                 the scenarios, with what each proves
  run NAME [flags] [-- COMMAND [ARGS...]]
                       run one scenario, with the built-in job or your own
                       COMMAND on every node; exit 1 when a required verdict fails
  plan NAME [--seed N] print the fault schedule a seed gives, as JSON to edit into
                       an incident and run with run --plan
  up [flags]           start a three-node ensemble (with toxiproxy links), print
                       connect strings and the faults as they land, until Ctrl-C
  fault KIND [TARGET] [--for DUR]
                       inject a fault into the ensemble "up" runs (another terminal)
  heal                 heal every fault injected by hand

Exit codes: 0 pass, 1 a verdict failed, 64 bad arguments, 69 no ensemble,
70 internal error.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(usage)
		fmt.Println("\nFlags of run:")
		runFlags(new(runOptions)).PrintDefaults()
		fmt.Println("\nFlags of up:")
		upFlags(new(upOptions)).PrintDefaults()
		fmt.Println("\nFlags of plan:")
		planFlags(new(int64)).PrintDefaults()
		fmt.Println("\nFlags of fault and heal:")
		faultFlags(new(faultOptions)).PrintDefaults()
		fmt.Printf("\nFaults (plans and fault): %s\n", strings.Join(chaos.FaultKinds(), ", "))
		fmt.Println("Targets: holder, waiter or a node's name (node1, …) for partition, kill-wrapper and")
		fmt.Println("pause-wrapper; leader, follower or zkN for the server faults; slow takes --latency.")
		return 0
	}
	switch args[0] {
	case "list":
		return list()
	case "run":
		return runScenario(args[1:])
	case "up":
		return up(args[1:])
	case "plan":
		return printPlan(args[1:])
	case "fault":
		return fault(args[1:])
	case "heal":
		return heal(args[1:])
	case "job":
		return job(args[1:])
	case "shim":
		return shim(args[1:])
	}
	fmt.Fprintf(os.Stderr, "zoo-chaos: unknown command %q (see zoo-chaos --help)\n", args[0])
	return 64
}

// job is what the workload runs under zoo-locked; not for users.
func job(args []string) int {
	fs := pflag.NewFlagSet("job", pflag.ContinueOnError)
	witness := fs.String("witness", "", "")
	node := fs.String("node", "", "")
	length := fs.Duration("length", time.Second, "")
	grandchild := fs.Bool("grandchild", false, "")
	if err := fs.Parse(args); err != nil || *witness == "" {
		fmt.Fprintln(os.Stderr, "zoo-chaos job: internal use by scenarios only")
		return 64
	}
	return chaos.WitnessJob(*witness, *node, *length, *grandchild)
}

// shim runs a user's job under the scenario's wrapper; not for users.
func shim(args []string) int {
	fs := pflag.NewFlagSet("shim", pflag.ContinueOnError)
	witness := fs.String("witness", "", "")
	node := fs.String("node", "", "")
	if err := fs.Parse(args); err != nil || *witness == "" || fs.ArgsLenAtDash() < 0 || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "zoo-chaos shim: internal use by scenarios only")
		return 64
	}
	return chaos.Shim(*witness, *node, fs.Args())
}

// parseFlags parses a command's flags. --help prints the command's synopsis
// and flags to stdout and ends with 0; a bad flag is one line on stderr
// and 64. done says the command should return code without running.
func parseFlags(fs *pflag.FlagSet, args []string, synopsis string) (done bool, code int) {
	fs.SortFlags = false
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Printf("Usage: %s\n\nFlags:\n", synopsis)
		fs.SetOutput(os.Stdout)
		fs.PrintDefaults()
		return true, 0
	case err != nil:
		fmt.Fprintf(os.Stderr, "zoo-chaos %s: %v (see zoo-chaos %s --help)\n", fs.Name(), err, fs.Name())
		return true, 64
	}
	return false, 0
}
