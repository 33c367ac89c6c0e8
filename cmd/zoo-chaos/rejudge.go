package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/scenarios"
)

// rejudge runs today's checker on a run's recorded history: a verdict.json
// judged again, without running anything, after the checker has learnt
// something (a long soak need not be run twice).
func rejudge(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "zoo-chaos rejudge: want one verdict.json (written by zoo-chaos run --report DIR)")
		return exitcode.Usage
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos rejudge: %v\n", err)
		return exitcode.Usage
	}
	var recorded struct {
		History *checker.History `json:"history"`
	}
	if err := json.Unmarshal(data, &recorded); err != nil || recorded.History == nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos rejudge: %s holds no run's history (%v)\n", args[0], err)
		return exitcode.Usage
	}
	h := recorded.History
	sc := scenarios.Get(h.Scenario)
	if sc.Name == "" {
		fmt.Fprintf(os.Stderr, "zoo-chaos rejudge: the history's scenario %q is not in the catalogue\n", h.Scenario)
		return exitcode.Usage
	}
	if h.TickTime == 0 {
		// Recorded before histories kept the servers' tick: the scenario's.
		h.TickTime = sc.WithDefaults().TickTime
	}
	rep := checker.Check(h, sc.Expect)
	printVerdict(sc, h, rep, "")
	if !rep.Pass {
		return 1
	}
	return 0
}
