// Command zoo-chaos is the chaos harness: it lists and runs the scenarios
// of the catalogue against a real ensemble, and starts an ensemble for
// trying zoo-locked by hand. See zoo-chaos --help.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos"
)

const usage = `Usage: zoo-chaos COMMAND [flags]

Commands:
  list                 the scenarios, with what each proves
  run NAME [flags]     run one scenario; exit 1 when a required verdict fails
  up [flags]           start a three-node ensemble (with toxiproxy links) and
                       print connect strings until Ctrl-C

Exit codes: 0 pass, 1 a verdict failed, 64 bad arguments, 69 no ensemble,
70 internal error.
`

func main() {
	// Ryuk's image cannot be pulled; the harness removes what it creates.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(usage)
		fmt.Println("\nFlags of run:")
		runFlags(new(runOptions)).PrintDefaults()
		fmt.Println("\nFlags of up:")
		upFlags(new(upOptions)).PrintDefaults()
		return 0
	}
	switch args[0] {
	case "list":
		return list()
	case "run":
		return runScenario(args[1:])
	case "up":
		return up(args[1:])
	case "job":
		return job(args[1:])
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
	return chaos.RunJob(*witness, *node, *length, *grandchild)
}
