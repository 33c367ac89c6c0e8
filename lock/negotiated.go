package lock

import (
	"sync"
	"time"
)

// negotiatedTimeout reads the session timeout the server granted from the
// one place go-zookeeper reveals it: its "authenticated" log line.
// TestNegotiatedTimeout pins this against a real server.
type negotiatedTimeout struct {
	mu    sync.Mutex
	ms    int64
	once  sync.Once
	ready chan struct{} // closed once the first value is known
}

const authenticatedFormat = "authenticated: id=%d, timeout=%d"

func (n *negotiatedTimeout) Printf(format string, args ...any) {
	if format != authenticatedFormat || len(args) != 2 {
		return
	}
	if ms, ok := args[1].(int32); ok {
		n.mu.Lock()
		n.ms = int64(ms)
		n.mu.Unlock()
		n.once.Do(func() { close(n.ready) })
	}
}

func (n *negotiatedTimeout) get() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return time.Duration(n.ms) * time.Millisecond
}
