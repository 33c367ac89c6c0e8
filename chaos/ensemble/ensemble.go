package ensemble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Ensemble is a running ZooKeeper ensemble whose every link passes through
// an embedded toxiproxy. Servers are named by their ZooKeeper id, 1..n.
type Ensemble struct {
	opts    Options
	backend backend
	proxies *proxyServer
	specs   map[int]serverSpec
	// peerLinks[[2]int{i, j}] are the quorum and election links server i
	// dials to reach server j.
	peerLinks map[[2]int]links

	mu      sync.Mutex
	nodes   map[string]*Node
	running map[int]bool
	clocks  map[int]time.Duration // each server's clock offset (SetClock)
}

// NewEnsemble starts the servers and returns once a quorum serves: one
// leader and all others following.
func NewEnsemble(ctx context.Context, opts Options) (*Ensemble, error) {
	// An image asked for by name is a ZooKeeper version asked for: only the
	// container backend can give it (the process backend runs this host's
	// package), so it must not fall back.
	if opts.Image != "" {
		switch opts.Backend {
		case "", BackendAuto:
			opts.Backend = BackendContainer
		case BackendProcess:
			return nil, fmt.Errorf("image %s needs the container backend: the process backend runs this host's ZooKeeper package", opts.Image)
		}
	}
	opts = opts.withDefaults()
	b, err := chooseBackend(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &Ensemble{
		opts: opts, backend: b, proxies: newProxyServer(),
		specs: map[int]serverSpec{}, peerLinks: map[[2]int]links{},
		nodes: map[string]*Node{}, running: map[int]bool{}, clocks: map[int]time.Duration{},
	}
	started := time.Now()
	opts.Logger.Info("starting ensemble", "backend", b.Name(), "servers", opts.Servers)
	if err := e.start(ctx); err != nil {
		return nil, errors.Join(err, e.Close(context.WithoutCancel(ctx)))
	}
	opts.Logger.Info("ensemble serving", "backend", b.Name(), "elapsed", time.Since(started).Round(time.Millisecond))
	return e, nil
}

func chooseBackend(ctx context.Context, opts Options) (backend, error) {
	switch opts.Backend {
	case BackendContainer:
		if err := containerBackendAvailable(ctx, opts.Image); err != nil {
			return nil, err
		}
		return newContainerBackend(ctx, opts.Image)
	case BackendProcess:
		return newProcessBackend()
	case BackendAuto:
		containerErr := containerBackendAvailable(ctx, opts.Image)
		if containerErr == nil {
			return newContainerBackend(ctx, opts.Image)
		}
		b, err := newProcessBackend()
		if err != nil {
			return nil, fmt.Errorf("no backend can run ZooKeeper: containers: %v; processes: %v", containerErr, err)
		}
		opts.Logger.Info("container backend unavailable, using local processes", "reason", containerErr)
		return b, nil
	}
	return nil, fmt.Errorf("unknown backend %q (want %s, %s or %s)", opts.Backend, BackendAuto, BackendContainer, BackendProcess)
}

func (e *Ensemble) start(ctx context.Context) error {
	n := e.opts.Servers
	ports, err := freePorts(4 * n)
	if err != nil {
		return err
	}
	for i := range n {
		id := i + 1
		e.specs[id] = serverSpec{
			ID: id, ClientPort: ports[4*i], QuorumPort: ports[4*i+1], ElectionPort: ports[4*i+2],
			Peers: map[int]string{}, TickTime: e.opts.TickTime, MaxSessionTimeout: e.opts.MaxSessionTimeout,
			MovableClock: e.opts.MovableClocks,
		}
		if e.opts.TLS != nil {
			spec := e.specs[id]
			spec.SecurePort, spec.TLS = ports[4*i+3], e.opts.TLS
			e.specs[id] = spec
		}
	}
	for from, spec := range e.specs {
		for to, peer := range e.specs {
			if from == to {
				continue
			}
			quorum, err := e.proxies.link(fmt.Sprintf("zk%d->zk%d:quorum", from, to), e.backend.PeerHost(), fmt.Sprintf("127.0.0.1:%d", peer.QuorumPort))
			if err != nil {
				return err
			}
			election, err := e.proxies.link(fmt.Sprintf("zk%d->zk%d:election", from, to), e.backend.PeerHost(), fmt.Sprintf("127.0.0.1:%d", peer.ElectionPort))
			if err != nil {
				return err
			}
			e.peerLinks[[2]int{from, to}] = links{quorum, election}
			spec.Peers[to] = fmt.Sprintf("%s:%s:%s", e.backend.PeerHost(), portOf(quorum.Addr()), portOf(election.Addr()))
		}
	}
	errs := make(chan error, n)
	for id := range e.specs {
		go func() { errs <- e.Start(ctx, id) }()
	}
	for range n {
		if err := <-errs; err != nil {
			return err
		}
	}
	if err := e.WaitQuorum(ctx); err != nil {
		return fmt.Errorf("%w%s", err, e.whyDown(context.WithoutCancel(ctx)))
	}
	return nil
}

// whyDown is the last lines of the log of every server that does not
// serve: what a failed start has to say for itself.
func (e *Ensemble) whyDown(ctx context.Context) string {
	var why strings.Builder
	for id, mode := range e.Modes(ctx) {
		if mode == ModeLeader || mode == ModeFollower {
			continue
		}
		var log strings.Builder
		if err := e.backend.Logs(ctx, id, &log); err != nil {
			fmt.Fprintf(&why, "\nzk%d (%s): no log: %v", id, mode, err)
			continue
		}
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		fmt.Fprintf(&why, "\nzk%d (%s), the end of its log:\n%s", id, mode, strings.Join(lines[max(0, len(lines)-8):], "\n"))
	}
	return why.String()
}

func portOf(addr string) string {
	return addr[strings.LastIndex(addr, ":")+1:]
}

// Backend names the backend the servers run on: "container" or "process".
func (e *Ensemble) Backend() string { return e.backend.Name() }

// IDs lists the server ids, 1..n.
func (e *Ensemble) IDs() []int {
	ids := make([]int, e.opts.Servers)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// ClientAddr is server id's client address on the host, without any proxy.
func (e *Ensemble) ClientAddr(id int) string {
	return fmt.Sprintf("127.0.0.1:%d", e.specs[id].ClientPort)
}

// SecureConnectString lists every server's secure client port (with
// Options.TLS).
func (e *Ensemble) SecureConnectString() string {
	return e.joinPorts(func(sp serverSpec) int { return sp.SecurePort })
}

// ConnectString lists every server's direct client address.
func (e *Ensemble) ConnectString() string {
	return e.joinPorts(func(sp serverSpec) int { return sp.ClientPort })
}

func (e *Ensemble) joinPorts(port func(serverSpec) int) string {
	addrs := make([]string, 0, e.opts.Servers)
	for _, id := range e.IDs() {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port(e.specs[id])))
	}
	return strings.Join(addrs, ",")
}

// MaxSessionTimeout is the longest session timeout the servers grant.
func (e *Ensemble) MaxSessionTimeout() time.Duration { return e.opts.MaxSessionTimeout }

// Start starts a stopped or killed server. It does not wait for it to join.
func (e *Ensemble) Start(ctx context.Context, id int) error {
	spec, ok := e.specs[id]
	if !ok {
		return fmt.Errorf("no server %d", id)
	}
	if err := e.backend.Start(ctx, spec); err != nil {
		return err
	}
	e.setRunning(id, true)
	e.opts.Logger.Debug("server started", "server", id)
	return nil
}

// Stop stops a server gracefully (SIGTERM).
func (e *Ensemble) Stop(ctx context.Context, id int) error {
	e.setRunning(id, false)
	return e.backend.Stop(ctx, id)
}

// Kill stops a server hard (SIGKILL).
func (e *Ensemble) Kill(ctx context.Context, id int) error {
	e.setRunning(id, false)
	return e.backend.Kill(ctx, id)
}

// Restart stops a server gracefully and starts it again.
func (e *Ensemble) Restart(ctx context.Context, id int) error {
	if err := e.Stop(ctx, id); err != nil {
		return err
	}
	return e.Start(ctx, id)
}

// Pause freezes a server (SIGSTOP / cgroup freezer): its sockets stay open
// but nothing answers, the nastiest failure for a client.
func (e *Ensemble) Pause(ctx context.Context, id int) error { return e.backend.Pause(ctx, id) }

// Unpause resumes a paused server.
func (e *Ensemble) Unpause(ctx context.Context, id int) error { return e.backend.Unpause(ctx, id) }

func (e *Ensemble) setRunning(id int, running bool) {
	e.mu.Lock()
	e.running[id] = running
	e.mu.Unlock()
}

// CutPeers cuts server id from every peer, both ways, while its client
// links stay up: an isolated leader loses its quorum but still talks to
// its clients.
func (e *Ensemble) CutPeers(ctx context.Context, id int) error {
	if err := e.backend.PeerCuttable(); err != nil {
		return err
	}
	return e.linksOf(id).cut(ctx)
}

// HealPeers undoes CutPeers.
func (e *Ensemble) HealPeers(ctx context.Context, id int) error {
	return e.linksOf(id).heal(ctx)
}

func (e *Ensemble) linksOf(id int) links {
	var ls links
	for pair, l := range e.peerLinks {
		if pair[0] == id || pair[1] == id {
			ls = append(ls, l...)
		}
	}
	return ls
}

// Node returns the simulated client node of that name, creating its links
// (one proxy per server) the first time.
func (e *Ensemble) Node(name string) (*Node, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n, ok := e.nodes[name]; ok {
		return n, nil
	}
	n := &Node{name: name, links: map[int]*Link{}}
	for _, id := range e.IDs() {
		l, err := e.proxies.link(fmt.Sprintf("%s->zk%d", name, id), "127.0.0.1", e.ClientAddr(id))
		if err != nil {
			return nil, err
		}
		n.links[id] = l
		n.order = append(n.order, id)
	}
	e.nodes[name] = n
	return n, nil
}

// Logs writes every server's log, each under a header.
func (e *Ensemble) Logs(ctx context.Context, w io.Writer) {
	for _, id := range e.IDs() {
		fmt.Fprintf(w, "===== zk%d (%s) =====\n", id, e.backend.Name())
		if err := e.backend.Logs(ctx, id, w); err != nil {
			fmt.Fprintf(w, "(no log: %v)\n", err)
		}
	}
}

// SaveLogs writes each server's log to dir/zkN.log.
func (e *Ensemble) SaveLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, id := range e.IDs() {
		var buf bytes.Buffer
		if err := e.backend.Logs(ctx, id, &buf); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.WriteFile(filepath.Join(dir, fmt.Sprintf("zk%d.log", id)), buf.Bytes(), 0o644))
	}
	return errors.Join(errs...)
}

// Close stops every server and proxy and removes what the backend created.
func (e *Ensemble) Close(ctx context.Context) error {
	e.proxies.close()
	return e.backend.Close(ctx)
}

// TickTime is the servers' tickTime.
func (e *Ensemble) TickTime() time.Duration { return e.opts.TickTime }
