// Package fencerule is the one statement of when a holder must stop its
// job: a pure function of the session timeout T and the kill grace, with
// no I/O, so that the wrapper (which obeys it) and the chaos harness (which
// sizes faults around it) read the same figure without the harness
// depending on the wrapper.
//
// Its one invariant: After(T, grace) + grace < T, so SIGKILL lands before
// ZooKeeper can expire the session and grant the lock to anyone else.
package fencerule

import "time"

// Margin absorbs what lies between SIGKILL and the tree being gone (signal
// delivery, scheduling) and the server's tick granularity.
func Margin(timeout time.Duration) time.Duration {
	return min(max(timeout/10, 50*time.Millisecond), time.Second)
}

// After is how long after the last answered request a holder sends
// SIGTERM: the server cannot expire the session before lastAck + T, so
// SIGKILL, sent grace after SIGTERM, lands Margin before that.
func After(timeout, killGrace time.Duration) time.Duration {
	return timeout - killGrace - Margin(timeout)
}
