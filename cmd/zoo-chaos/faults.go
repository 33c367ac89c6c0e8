package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// faultDocs says, for each fault kind, what it aims at and what it does;
// what it takes comes from the kind itself (takes). TestFaultsListsEveryKind
// keeps it in step with the kinds.
var faultDocs = map[string][2]string{
	"partition":      {"holder, waiter, nodeN", "cuts a node from every server"},
	"slow":           {"", "adds latency to every node's links"},
	"kill-wrapper":   {"holder, waiter, nodeN", "SIGKILLs a node's wrapper (plans only: by hand there is no workload)"},
	"pause-wrapper":  {"holder, waiter, nodeN", "SIGSTOPs a node's wrapper and job (plans only)"},
	"end-session":    {"holder, waiter, nodeN", "ends a node's session from outside, with the password the servers derive from its id (plans only)"},
	"kill-server":    {"leader, follower, zkN", "SIGKILLs a server; heal starts it"},
	"stop-server":    {"leader, follower, zkN", "stops a server gracefully; heal starts it"},
	"pause-server":   {"leader, follower, zkN", "freezes a server; heal thaws it"},
	"restart-server": {"leader, follower, zkN", "restarts a server gracefully"},
	"isolate-server": {"leader, follower, zkN", "cuts a server from its peers, its clients still reach it"},
	"quorum-loss":    {"", "stops every server but the first"},
	"clock-jump":     {"leader, follower, zkN", "steps a server's wall clock ahead or back (its monotonic clock stays true); heal sets it right"},
	"clock-drift":    {"leader, follower, zkN", "makes a server's wall clock run fast or slow; heal sets it right"},
	"node-clock":     {"holder, waiter, nodeN", "puts a node's clock off for the wrappers it fires (plans only)"},
	"upgrade-server": {"leader, follower, zkN", "replaces a server by another ZooKeeper version's image on its own data (container backend)"},
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
		target := d[0]
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", kind, target, takes(kind), d[1])
	}
	w.Flush()
	return 0
}

// takes says what a kind's parameters are called: the flag of
// `zoo-chaos fault` where there is one, else the plan's key.
func takes(kind string) string {
	var out []string
	for _, key := range faults.Parameters(kind) {
		flag := key
		if key == "version" {
			flag = "zk"
		}
		if faultFlags(&faultOptions{}).Lookup(flag) != nil {
			out = append(out, "--"+flag)
		} else {
			out = append(out, key+" (plans only)")
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}
