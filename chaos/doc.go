// Package chaos is the harness that proves zoo-locked under real faults: a
// three-node ZooKeeper ensemble (containers, or local processes where no
// container engine answers), toxiproxy links between every client node and
// every server and between the servers themselves, and the faults that cut,
// slow, stop, kill and pause them.
//
// Around it, Jepsen's parts (docs/DESIGN.md, "The harness"): the workload
// (workload.go), the witness (witness.go), the nemesis (nemesis.go and the
// fault types), the history (history.go), the checker (checker.go) and the
// report (report.go); trial.go runs a scenario through them.
//
// Its one invariant: every byte between a client node and a server, and
// between two servers, crosses a proxy of ours, so any of them can be cut.
package chaos
