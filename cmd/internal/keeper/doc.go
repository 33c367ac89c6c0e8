// Package keeper runs the wrapper's job in a process of its own, the
// keeper (the wrapper's binary started with Arg): a child subreaper that
// starts the job in its own process group on the wrapper's word, forwards
// its signals, and dies with the wrapper (a parent-death signal).
//
// Its one invariant: when the keeper exits, the job and every process the
// job started are dead — however the wrapper ended.
package keeper
