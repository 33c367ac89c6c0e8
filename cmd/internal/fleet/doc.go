// Package fleet is a run of the cron wrapper under a lock, and what the
// whole fleet sharing the lock keeps beside it in NAME~: Wrap takes the
// lock, runs the job through its keeper and releases the lock once the
// job's tree is dead; the run ledger and the --once-per record say what
// ran, where and how it ended; a pause makes every firing skip; a stop
// request ends the running job wherever it runs; Inspect and List show it
// all.
//
// Its one invariant: a run's job tree is dead before its lock is released
// (S4 in docs/DESIGN.md), however the run ends: by itself, a lost lock,
// --max-runtime, a signal or an operator's stop.
package fleet
