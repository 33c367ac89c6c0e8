// Package lock is the core of zoo-locked, usable from any Go program: a
// ZooKeeper session that fences itself (session.go, with reconnect.go: a
// dropped connection is waited out, never an error), the lock recipe and
// its fencing token (mutex.go), and which other recipes' contenders share
// a lock path (contenders.go). The example in example_test.go takes a
// fenced lock in a few lines.
//
// What the cron wrapper adds lives here too, in files of its own: the
// supervised child process tree (child.go, keeper.go, proc.go), the
// --once-per record, its schedules and the ensemble's clock (record.go,
// schedule.go, clock.go), the run ledger (ledger.go), and Wrap, which puts
// them together (wrap.go: the wait for the lock, with waitwatch.go;
// supervise.go: the job under the lock). docs/DESIGN.md is the contract:
// the guarantees S1–S4 and L1–L3, the fence rule, the recipe.
//
// Its one invariant: the work done under the lock is stopped before
// ZooKeeper can grant the lock to anyone else (Session.Done closes in
// time; the wrapper kills the child tree on it), and the lock is released
// only after the work has stopped.
package lock
