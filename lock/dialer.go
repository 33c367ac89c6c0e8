package lock

import (
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/zkclose"
)

// dialer makes the connections go-zookeeper uses: plain TCP or TLS, each
// with its handshake read deadline capped (see handshakeCappedConn), and
// it remembers the last dial error so that "unreachable" can say why.
type dialer struct {
	limit time.Duration
	tls   *tls.Config

	mu      sync.Mutex
	lastErr error
	granted zkclose.Session // the id, password and timeout of the latest ConnectResponse
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
	return &handshakeCappedConn{Conn: conn, limit: d.limit, greeted: d.greeted}, nil
}

// greeted keeps what a connection's first frame, the server's
// ConnectResponse, says of the session: go-zookeeper keeps the password and
// the granted timeout to itself, and the fence needs the timeout, the
// keeper the password to end a dead wrapper's session. It runs inside the
// frame's Read, before go-zookeeper has seen it, so the session event
// that follows always finds both.
func (d *dialer) greeted(frame []byte) {
	id, password, timeoutMs, ok := zkclose.ParseConnectResponse(frame)
	if !ok || id == 0 {
		return // a refusal names no session
	}
	d.mu.Lock()
	d.granted.ID, d.granted.Password = id, password
	d.granted.Timeout = time.Duration(timeoutMs) * time.Millisecond
	d.mu.Unlock()
}

// grantedTimeout is the session timeout the servers last granted.
func (d *dialer) grantedTimeout() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.granted.Timeout
}

// silent drops go-zookeeper's log lines: the wrapper logs what matters
// itself, at the operator's --log-level.
type silent struct{}

func (silent) Printf(string, ...any) {}

// session is the id and password the servers last granted.
func (d *dialer) session() (id int64, password []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.granted.ID, d.granted.Password
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

	// The first frame's bytes until it is whole, then handed to greeted.
	// Read only from go-zookeeper's one reading goroutine.
	greeting []byte
	greeted  func(frame []byte)
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
	if c.greeted != nil && n > 0 {
		c.greeting = append(c.greeting, p[:n]...)
		if len(c.greeting) >= 4 {
			if size := int(binary.BigEndian.Uint32(c.greeting)); len(c.greeting) >= 4+size {
				c.greeted(c.greeting[4 : 4+size])
				c.greeted, c.greeting = nil, nil
			}
		}
	}
	return n, err
}
