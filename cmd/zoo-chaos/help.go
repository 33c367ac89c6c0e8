package main

import (
	"strings"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/cmd/internal/manual"
)

// page is zoo-chaos's manual: --help and zoo-chaos(1) are both written
// from it.
func page() manual.Page {
	return manual.Page{
		Name:    "zoo-chaos",
		Summary: "prove zoo-locked, or your own job under it, against a real ZooKeeper ensemble under faults",
		Synopsis: []manual.Usage{
			{Form: "list", What: "the scenarios, with what each proves"},
			{Form: "faults", What: "the fault kinds, with what each aims at, takes and does"},
			{Form: "run NAME [flags] [-- COMMAND [ARGS...]]", What: "run one scenario, with the built-in job or your own COMMAND on every node; exit 1 when a required verdict fails"},
			{Form: "compare --scenarios A,B,... --tool NAME=TEMPLATE... [flags]", What: "run the same scenarios and seed for zoo-locked and each tool (a --wrapper template); print one table of overlaps, stale writes, orphans, takeovers and jobs"},
			{Form: "plan NAME [--seed N]", What: "print the fault schedule a seed gives, as JSON to edit into an incident and run with run --plan"},
			{Form: "rejudge VERDICT.json", What: "judge a recorded run again with this checker, without running it; exit 1 when a required verdict fails"},
			{Form: "up [flags]", What: "start a three-node ensemble with toxiproxy links; print connect strings, and each fault by hand as it lands and heals, until Ctrl-C"},
			{Form: "fault KIND [TARGET] [--for DUR]", What: "inject a fault into the ensemble up runs, from another terminal"},
			{Form: "heal", What: "heal every fault injected by hand"},
		},
		Description: []string{
			"A scenario is an ensemble (three ZooKeeper servers, in containers or local processes), a workload of simulated cron nodes each " +
				"firing the real zoo-locked around a job, a fault schedule drawn from a seed or read from a plan, and a checker that judges " +
				"the recorded history: S1 exclusion, S2 fencing, S3 no orphans, S4 release after death, L1 takeover, L3 ride-through, " +
				"progress, no lock stuck; and, for your own job, how it takes SIGTERM, how it fails under faults, and your --check.",
			"Each run writes verdict.json (the verdicts, the history, and the executed plan, which run --plan replays) and timeline.html.",
		},
		Flags: []manual.FlagGroup{
			{Title: "Flags of run", Flags: manual.FlagsOf(runFlags(new(runOptions)), nil)},
			{Title: "Flags of compare", Flags: manual.FlagsOf(compareFlags(new(compareOptions)), nil)},
			{Title: "Flags of plan", Flags: manual.FlagsOf(planFlags(new(int64)), nil)},
			{Title: "Flags of up", Flags: manual.FlagsOf(upFlags(new(upOptions)), nil)},
			{Title: "Flags of fault and heal", Flags: manual.FlagsOf(faultFlags(new(faultOptions)), nil)},
		},
		Sections: []manual.Section{
			{Title: "Faults", Paragraphs: []string{
				"Kinds, for plans and fault (zoo-chaos faults says what each aims at, takes and does): " + strings.Join(faults.FaultKinds(), ", ") + ".",
				"Targets: holder, waiter or a node's name (node1, ...) for partition, kill-wrapper and pause-wrapper; " +
					"leader, follower or zkN for the server faults; slow takes --latency and --jitter, clock-jump --offset, clock-drift --rate, upgrade-server --zk; quorum-loss takes none; node-clock needs a workload (a plan). " +
					"By hand there is no workload: name the node.",
			}},
			{Title: "Exit codes", Table: [][2]string{
				{"0", "every required verdict passed (or the command succeeded)"},
				{"1", "a required verdict failed"},
				{"64", "bad arguments, an unknown scenario, fault or target, a bad plan"},
				{"69", "no ensemble: it would not start, or no up answers"},
				{"70", "internal error"},
			}},
			{Title: "Environment", Table: [][2]string{
				{"ZOOLOCKED_BACKEND", "container or process: which backend runs the servers (default: containers where an engine answers)"},
				{"ZOOLOCKED_ZK_IMAGE", "the servers' image (default zoo-locked/zookeeper:3.8, built by make image; make image ZK=3.9 or ZK=3.4 builds the others)"},
				{"ZOOCHAOS_DIR", "up's run directory (default $XDG_RUNTIME_DIR/zoo-chaos)"},
			}},
		},
	}
}
