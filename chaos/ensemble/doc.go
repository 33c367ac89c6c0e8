// Package ensemble starts a ZooKeeper ensemble for the harness:
// containers on a private network or local JVMs (backend_*.go), their
// clocks made movable with libfaketime (clock.go), an upgrade of one server
// to another version on its own data (upgrade.go), and toxiproxy links
// between every client node and every server and between the servers
// themselves (link.go, node.go).
//
// Its one invariant: every byte between a client node and a server, and
// between two servers, crosses a proxy of ours, so any of them can be cut.
package ensemble
