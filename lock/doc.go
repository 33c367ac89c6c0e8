// Package lock is the core of zoo-locked: a ZooKeeper session that fences
// itself (session.go), the lock recipe and its fencing token (mutex.go),
// the supervised child process tree (child.go, keeper.go, proc.go), the
// --once-per record, its schedules and the ensemble's clock (record.go,
// schedule.go, clock.go), the run ledger (ledger.go), and Wrap, which puts
// them together (wrap.go: the wait for the lock, with waitwatch.go;
// supervise.go: the job under the lock). docs/DESIGN.md is the contract: the
// guarantees S1–S4 and L1–L3, the fence rule, the recipe.
//
// Its one invariant: the child tree is dead before ZooKeeper can grant the
// lock to anyone else, and the lock is released only after the tree is dead.
package lock
