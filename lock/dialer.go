package lock

import (
	"net"
	"sync/atomic"
	"time"
)

// handshakeCappedDialer dials like net.DialTimeout but caps the read
// deadline of each connection until its first byte arrives. go-zookeeper
// waits 10 × recvTimeout (≈ 6.7 × T) for a handshake answer; a server that
// accepts TCP but never answers (paused, blackholed) would then hold the
// client until its session expired although healthy servers were there.
func handshakeCappedDialer(limit time.Duration) func(network, address string, timeout time.Duration) (net.Conn, error) {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		conn, err := net.DialTimeout(network, address, timeout)
		if err != nil {
			return nil, err
		}
		return &handshakeCappedConn{Conn: conn, limit: limit}, nil
	}
}

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
