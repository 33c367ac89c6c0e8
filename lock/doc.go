// Package lock is the core of zoo-locked: a ZooKeeper session that fences
// itself (session.go), the lock recipe and its fencing token (mutex.go), and
// the supervised child process tree (child.go, keeper.go).
//
// Its one invariant: the child tree is dead before ZooKeeper can grant the
// lock to anyone else, and the lock is released only after the tree is dead.
package lock
