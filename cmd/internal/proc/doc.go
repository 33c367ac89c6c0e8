// Package proc reads the process tree from /proc, for the keeper that owns
// a job's tree.
//
// Its one invariant: a process is counted alive until it is reaped or a
// zombie — never missed while it can still run.
package proc
