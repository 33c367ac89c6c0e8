// Package lock is the core of zoo-locked, usable from any Go program: a
// ZooKeeper session (session.go, with reconnect.go: a dropped connection
// is waited out, never an error), the guard that fences a held lock
// (guard.go), the lock recipe and its fencing token (mutex.go, with
// parents.go for the znodes above it), how our contender is named and
// which other recipes' contenders share a lock path (contenderstyle.go,
// contenders.go). The example in example_test.go takes a fenced lock in a
// few lines.
//
// What the cron wrapper adds lives under cmd/internal: fleet (a run under
// the lock, its ledger, the --once-per record, pause, stop, status and
// reset), keeper (the supervised child tree), proc, schedule and connect.
// docs/DESIGN.md is the contract: the guarantees S1–S4 and L1–L3, the
// fence rule, the recipe.
//
// Its one invariant: the work done under the lock is stopped before
// ZooKeeper can grant the lock to anyone else (Mutex.Done closes in
// time; fleet kills the child tree on it), and the lock is released only
// after the work has stopped.
package lock
