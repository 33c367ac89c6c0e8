package ensemble

import (
	"context"
	"fmt"
	"io"
	"time"
)

// serverSpec is what a backend needs to run one server: the host ports that
// must reach its client, quorum and election ports, and the address at which
// it reaches each peer (always one of our proxies).
type serverSpec struct {
	ID           int
	ClientPort   int
	QuorumPort   int
	ElectionPort int
	// Peers maps a peer's id to "host:quorumPort:electionPort" as this server
	// must dial it.
	Peers             map[int]string
	TickTime          time.Duration
	MaxSessionTimeout time.Duration
	// SecurePort and TLS: a TLS client port, when TLS is set.
	SecurePort int
	TLS        *ServerTLS
	// MovableClock: the server's wall clock follows a clock file (faketime).
	MovableClock bool
}

// cfgExtra are the zoo.cfg lines both backends add to ZooKeeper's defaults.
func (s serverSpec) cfgExtra() []string {
	return []string{
		fmt.Sprintf("maxSessionTimeout=%d", s.MaxSessionTimeout.Milliseconds()),
		// Peers reach this server through the host's proxies, so it must
		// accept on every interface, not only on its own entry's address.
		"quorumListenOnAllIPs=true",
		// Lets a restarted server rejoin at once instead of after a
		// back-off meant for production WAN links.
		"cnxTimeout=1000",
	}
}

// backend runs the servers of one ensemble. There are two: containers
// (testcontainers-go) and local processes (Debian's zookeeper package).
type backend interface {
	// Name is "container" or "process", for the test log.
	Name() string
	// PeerHost is the address at which servers reach proxies on the host.
	PeerHost() string
	// PeerCuttable says why cutting a server from its peers cannot work on
	// this backend, or nil.
	PeerCuttable() error
	// Start starts the server the first time or again after Stop/Kill.
	Start(ctx context.Context, spec serverSpec) error
	Stop(ctx context.Context, id int) error
	Kill(ctx context.Context, id int) error
	Pause(ctx context.Context, id int) error
	Unpause(ctx context.Context, id int) error
	// SetClock puts the server's wall clock offset from the true one
	// (its monotonic clock, which times sessions, is left alone).
	SetClock(ctx context.Context, id int, offset time.Duration) error
	// Replace stops the server and starts image in its place, on its
	// data (Upgrade).
	Replace(ctx context.Context, spec serverSpec, image string) error
	// Logs writes what the server has logged so far.
	Logs(ctx context.Context, id int, w io.Writer) error
	Close(ctx context.Context) error
}
