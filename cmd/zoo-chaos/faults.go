package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// faultDocs says, for each fault kind, what it aims at, what it takes and
// what it does; TestFaultsListsEveryKind keeps it in step with the kinds.
var faultDocs = map[string][3]string{
	"partition":      {"holder, waiter, nodeN", "", "cuts a node from every server"},
	"slow":           {"", "--latency, --jitter", "adds latency to every node's links"},
	"kill-wrapper":   {"holder, waiter, nodeN", "", "SIGKILLs a node's wrapper (plans only: by hand there is no workload)"},
	"pause-wrapper":  {"holder, waiter, nodeN", "", "SIGSTOPs a node's wrapper and job (plans only)"},
	"end-session":    {"holder, waiter, nodeN", "", "ends a node's session from outside, with the password the servers derive from its id (plans only)"},
	"kill-server":    {"leader, follower, zkN", "", "SIGKILLs a server; heal starts it"},
	"stop-server":    {"leader, follower, zkN", "", "stops a server gracefully; heal starts it"},
	"pause-server":   {"leader, follower, zkN", "", "freezes a server; heal thaws it"},
	"restart-server": {"leader, follower, zkN", "", "restarts a server gracefully"},
	"isolate-server": {"leader, follower, zkN", "", "cuts a server from its peers, its clients still reach it"},
	"quorum-loss":    {"", "", "stops every server but the first"},
	"clock-jump":     {"leader, follower, zkN", "--offset", "steps a server's wall clock ahead or back (its monotonic clock stays true); heal sets it right"},
	"clock-drift":    {"leader, follower, zkN", "--rate", "makes a server's wall clock run fast or slow; heal sets it right"},
	"node-clock":     {"holder, waiter, nodeN", "offset (plans only)", "puts a node's clock off for the wrappers it fires"},
	"upgrade-server": {"leader, follower, zkN", "--zk", "replaces a server by another ZooKeeper version's image on its own data (container backend)"},
}

// listFaults lists every fault kind, for plans and `zoo-chaos fault`.
func listFaults(args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(os.Stderr, "zoo-chaos faults: takes no arguments")
		return exitcode.Usage
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tTARGET\tTAKES\tWHAT IT DOES")
	for _, kind := range faults.FaultKinds() {
		d := faultDocs[kind]
		target, takes := d[0], d[1]
		if target == "" {
			target = "-"
		}
		if takes == "" {
			takes = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", kind, target, takes, d[2])
	}
	w.Flush()
	return 0
}
