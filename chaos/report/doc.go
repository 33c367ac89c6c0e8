// Package report writes what a trial leaves for a reader: verdict.json
// (the verdicts, the history and the executed plan, which `zoo-chaos run
// --plan` replays), timeline.html (the jobs, faults and leaders on one time
// axis; the page is timeline.html.tmpl, embedded), the verdicts as JUnit XML
// for CI, and the comparison of several lock tools (compare.go). It reads
// histories and reports; it judges nothing.
//
// Its one invariant: every verdict and figure it shows comes from the
// checker's report or the recorded history; it adds layout, never a
// judgement.
package report
