// Package faults holds what can go wrong in a trial: each fault kind is a
// type of its own beside the kind it registers (server.go, node.go,
// clock.go, session.go, upgrade.go), acting on a Stage; plan.go turns a
// plan's JSON into faults and back; nemesis.go runs a schedule of them and
// records a FaultWindow for each; control.go lets `zoo-chaos fault` inject
// them by hand into a running ensemble.
//
// Its one invariant: a fault's window covers every moment it may have
// acted, from the start of its injection to the end of its heal, so the
// checker never takes a moment a fault touched for a quiet one.
package faults
