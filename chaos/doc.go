// Package chaos runs a trial: a scenario's workload of cron nodes, each
// firing the real zoo-locked (or a --wrapper template) around a job that
// reports to the witness, while the nemesis injects the scenario's faults;
// at the end it hands the recorded history to the checker.
//
// The parts live by role, after Jepsen's: chaos/ensemble (the servers and
// the links every byte crosses), chaos/faults (what can go wrong, and the
// plans that say when), chaos/checker (the history and the verdicts on it)
// and chaos/report (what a reader gets). This package holds what ties them
// into one run: scenario.go, trial.go, workload.go, witness.go.
//
// Its one invariant: every job's life is recorded by the witness on one
// monotonic clock, so the checker judges overlaps on the true timeline.
package chaos
