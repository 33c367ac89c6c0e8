package lock

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialer makes the connections go-zookeeper uses: plain TCP or TLS, each
// with its handshake read deadline capped (see handshakeCappedConn), and
// it remembers the last dial error so that "unreachable" can say why.
type dialer struct {
	limit time.Duration
	tls   *tls.Config

	mu      sync.Mutex
	lastErr error
}

func (d *dialer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout(network, address, timeout)
	if err == nil && d.tls != nil {
		cfg := d.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(address)
		}
		tconn := tls.Client(conn, cfg)
		_ = tconn.SetDeadline(time.Now().Add(min(timeout, max(d.limit, time.Second))))
		if err = tconn.Handshake(); err != nil {
			conn.Close()
		} else {
			_ = tconn.SetDeadline(time.Time{}) // the library sets its own deadlines from here
			conn = tconn
		}
	}
	d.mu.Lock()
	d.lastErr = err
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &handshakeCappedConn{Conn: conn, limit: d.limit}, nil
}

func (d *dialer) lastError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastErr
}

// handshakeCappedConn caps the read deadline of a connection until its
// first byte arrives. go-zookeeper waits 10 × recvTimeout (≈ 6.7 × T) for a
// handshake answer; a server that accepts TCP but never answers (paused,
// blackholed) would then hold the client until its session expired
// although healthy servers were there.
type handshakeCappedConn struct {
	net.Conn
	limit    time.Duration
	answered atomic.Bool
}

func (c *handshakeCappedConn) SetReadDeadline(t time.Time) error {
	if !c.answered.Load() && !t.IsZero() {
		if capped := time.Now().Add(c.limit); capped.Before(t) {
			t = capped
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *handshakeCappedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.answered.Store(true)
	}
	return n, err
}
