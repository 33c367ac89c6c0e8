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
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		page().Help(os.Stdout)
		return 0
	}
	switch args[0] {
	case "--version":
		fmt.Println("zoo-chaos", version)
		return 0
	case "--man":
		page().Roff(os.Stdout, version)
		return 0
	}
	switch args[0] {
	case "list":
		return list()
	case "run":
		return runScenario(args[1:])
	case "up":
		return up(args[1:])
	case "compare":
		return compare(args[1:])
	case "plan":
		return printPlan(args[1:])
	case "rejudge":
		return rejudge(args[1:])
	case "faults":
		return listFaults(args[1:])
	case "fault":
		return fault(args[1:])
	case "heal":
		return heal(args[1:])
	case "job":
		return job(args[1:])
	case "shim":
		return shim(args[1:])
	case "foreign":
		return foreign(args[1:])
	}
	fmt.Fprintf(os.Stderr, "zoo-chaos: unknown command %q (see zoo-chaos --help)\n", args[0])
	return exitcode.Usage
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
		return exitcode.Usage
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
		return exitcode.Usage
	}
	return chaos.Shim(*witness, *node, fs.Args())
}

// foreign fires another recipe's lock for mixed-fleet scenarios; not for
// users.
func foreign(args []string) int {
	fs := pflag.NewFlagSet("foreign", pflag.ContinueOnError)
	recipe := fs.String("recipe", "", "")
	servers := fs.String("zk", "", "")
	lockPath := fs.String("path", "", "")
	try := fs.Bool("try", false, "")
	if err := fs.Parse(args); err != nil || (*recipe != checker.RecipeC && *recipe != checker.RecipeCurator) ||
		*servers == "" || !strings.HasPrefix(*lockPath, "/") || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "zoo-chaos foreign: internal use by scenarios only")
		return exitcode.Usage
	}
	return chaos.ForeignLock{Recipe: *recipe, Servers: strings.Split(*servers, ","), Path: *lockPath, Command: fs.Args(), Try: *try}.Run()
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
