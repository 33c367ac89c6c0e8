// Package checker judges a trial after the fact: the History it records
// (history.go), and the verdicts on it, S1–S4 and L1–L3 as docs/DESIGN.md
// states them (checker.go), the exits of every firing (exits.go), the jobs'
// ends (jobverdicts.go), --once-per slots on true time (slots.go), mixed
// fleets (mixedfleet.go), and the summary table (summary.go).
//
// Its one invariant: a verdict comes from the history alone. Check reads a
// History and an Expect and changes neither, so `zoo-chaos rejudge` gives
// the same verdicts as the run did.
package checker
