package lock

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/lock/seam"

	"github.com/zoo-locked/zoo-locked/lock/fencerule"
)

// SessionConfig is what a Session needs; durations are as the user asked,
// the server may grant a shorter session timeout.
type SessionConfig struct {
	Servers        []string
	SessionTimeout time.Duration
	ConnectTimeout time.Duration
	// KillGrace is how long the child gets between SIGTERM and SIGKILL; the
	// fence fires early enough that SIGKILL lands before expiry.
	KillGrace time.Duration
	Logger    *slog.Logger
	// Auth is "user:password" for digest authentication, or nil.
	Auth []byte
	// TLS, when set, is used for every connection (the secure client port).
	TLS *tls.Config
}

// Session is one ZooKeeper session that knows when it can no longer trust
// its lock. Done is closed once the holder must stop its work: the session
// expired, the guarded znode vanished, or the fence deadline
// (docs/DESIGN.md, "The fence") passed without an answer from the
// ensemble. A session that holds no lock sends nothing beyond the client's
// own pings: a waiter has no work to fence, and a fleet of waiters would
// otherwise cost the ensemble a request each every T/6.
type Session struct {
	conn  *zk.Conn
	cfg   SessionConfig
	log   *slog.Logger
	id    int64
	negot *negotiatedTimeout

	mu      sync.Mutex
	lastAck time.Time     // send time of the latest answered request, monotonic
	guarded string        // znode the heartbeat proves still exists
	unguard chan struct{} // closed when the guarded lock is released
	acked   chan struct{}
	up      chan struct{} // closed at the next StateHasSession (reconnect.go)

	lostOnce sync.Once
	done     chan struct{}
	err      error
	stop     chan struct{}
	stopOnce sync.Once

	authenticated bool
}

// Connect opens a session and returns once the ensemble granted one, or
// ErrUnavailable after cfg.ConnectTimeout.
func Connect(ctx context.Context, cfg SessionConfig) (*Session, error) {
	s := &Session{
		cfg: cfg, log: cfg.Logger, negot: &negotiatedTimeout{ready: make(chan struct{})},
		acked: make(chan struct{}, 1),
		done:  make(chan struct{}), stop: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	connected := make(chan struct{})
	var connectedOnce sync.Once
	s.lastAck = time.Now()
	// A half-dead server must not hold us past a third of the session.
	d := &dialer{limit: min(time.Second, cfg.SessionTimeout/3), tls: cfg.TLS}
	conn, _, err := zk.Connect(cfg.Servers, cfg.SessionTimeout,
		zk.WithLogger(s.negot),
		zk.WithDialer(d.dial),
		// The Java client's packet limit (jute.maxbuffer's default), not
		// the library's 1.5 MB: the receive buffer is allocated whole, and
		// a run's heap then stays under the size that starts the first
		// garbage collection in a process this short.
		zk.WithMaxBufferSize(maxPacket),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type != zk.EventSession {
				return
			}
			s.log.Debug("session state", "state", ev.State.String())
			switch ev.State {
			case zk.StateHasSession:
				connectedOnce.Do(func() { close(connected) })
				s.onSession()
				s.signalUp()
			case zk.StateExpired:
				s.lose(ErrLockGone, "session expired")
			}
		}))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s.mu.Lock() // the event callback reads conn and id concurrently
	s.conn = conn
	s.mu.Unlock()
	timer := time.NewTimer(cfg.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-connected:
	case <-timer.C:
		conn.Close()
		why := ""
		if err := d.lastError(); err != nil {
			why = " (last error: " + err.Error() + ")"
		}
		return nil, fmt.Errorf("%w: no session from %v within %v%s", ErrUnavailable, cfg.Servers, cfg.ConnectTimeout, why)
	case <-ctx.Done():
		conn.Close()
		return nil, ctx.Err()
	}
	// The library reports the session before it logs the granted timeout.
	select {
	case <-s.negot.ready:
	case <-time.After(time.Second):
	}
	s.mu.Lock()
	s.id = conn.SessionID()
	s.mu.Unlock()
	if s.Timeout() <= 0 {
		conn.Close()
		return nil, errors.New("negotiated session timeout not reported by the zookeeper client (library changed?)")
	}
	if span := fencerule.After(s.Timeout(), cfg.KillGrace); span < s.heartbeatInterval()*2 {
		conn.Close()
		return nil, &GraceTooLongError{Granted: s.Timeout(), KillGrace: cfg.KillGrace}
	}
	if cfg.Auth != nil {
		if err := conn.AddAuth("digest", cfg.Auth); err != nil {
			conn.Close()
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		s.authenticated = true
	}
	s.log.Debug("session established", "session", fmt.Sprintf("0x%x", s.id), "timeout", s.Timeout())
	return s, nil
}

// onSession catches the library quietly replacing an expired session with
// a new one: our ephemeral znodes died with the old one.
func (s *Session) onSession() {
	s.mu.Lock()
	replaced := s.id != 0 && s.conn != nil && s.conn.SessionID() != s.id
	s.mu.Unlock()
	if replaced {
		s.lose(ErrLockGone, "session replaced after expiry")
	}
}

// Conn is the underlying client, for the recipe.
func (s *Session) Conn() *zk.Conn { return s.conn }

// ID is the session id.
func (s *Session) ID() int64 { return s.id }

// Timeout is the session timeout the ensemble granted.
func (s *Session) Timeout() time.Duration { return s.negot.get() }

// Done is closed when the session can no longer vouch for the lock.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why Done closed; it wraps ErrLockLost, and ErrLockGone when the
// lock is already free for others.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// guard starts the heartbeat that proves znode still exists and the fence
// that fires when the ensemble stops answering; acked is the send time of
// a request the ensemble answered since the session began (the listing
// that granted the lock).
func (s *Session) guard(znode string, acked time.Time) {
	s.mu.Lock()
	s.guarded = znode
	if acked.After(s.lastAck) {
		s.lastAck = acked
	}
	s.unguard = make(chan struct{})
	unguard := s.unguard
	s.mu.Unlock()
	go s.heartbeat(unguard)
	if !seam.NoFence {
		go s.fence(unguard)
	}
}

// stopGuard ends the heartbeat and the fence: the caller releases the
// lock it guarded.
func (s *Session) stopGuard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unguard != nil {
		close(s.unguard)
		s.unguard, s.guarded = nil, ""
	}
}

// fenceAt is the instant the child must get SIGTERM unless the ensemble
// answers again before it.
func (s *Session) fenceAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fenceDeadline(s.lastAck, s.Timeout(), s.cfg.KillGrace)
}

// fenceDeadline applies the fence rule (package fencerule) to the last
// answered request.
func fenceDeadline(lastAck time.Time, timeout, killGrace time.Duration) time.Time {
	return lastAck.Add(fencerule.After(timeout, killGrace))
}

func (s *Session) heartbeatInterval() time.Duration { return s.Timeout() / 6 }

// heartbeat keeps lastAck fresh with a request of our own: the library's
// pings cannot be timed from outside.
func (s *Session) heartbeat(unguard <-chan struct{}) {
	ticker := time.NewTicker(s.heartbeatInterval())
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-unguard:
			return
		case <-s.stop:
			return
		case <-s.done:
			return
		}
		s.mu.Lock()
		target := s.guarded
		s.mu.Unlock()
		if target == "" {
			return // released meanwhile
		}
		sent := time.Now()
		exists, _, err := s.conn.Exists(target)
		switch {
		case errors.Is(err, zk.ErrSessionExpired):
			s.lose(ErrLockGone, "session expired")
		case err != nil:
			s.log.Debug("heartbeat failed", "err", err)
		case !exists:
			s.ack(sent)
			s.lose(ErrLockGone, fmt.Sprintf("lock znode %s vanished", target))
		default:
			s.ack(sent)
		}
	}
}

// ack records an answered request. A wrapper that wakes from a pause past
// its deadline must not let a fresh answer hide that the lock may already
// have been granted elsewhere: the old deadline is checked first.
func (s *Session) ack(sent time.Time) {
	s.mu.Lock()
	deadline := fenceDeadline(s.lastAck, s.Timeout(), s.cfg.KillGrace)
	late := time.Now().After(deadline) && !seam.NoFence
	if !late && sent.After(s.lastAck) {
		s.lastAck = sent
	}
	s.mu.Unlock()
	if late {
		s.lose(ErrLockLost, fmt.Sprintf("fence deadline passed %v ago (wrapper paused?)", time.Since(deadline).Round(time.Millisecond)))
		return
	}
	select {
	case s.acked <- struct{}{}:
	default:
	}
}

func (s *Session) fence(unguard <-chan struct{}) {
	for {
		wait := time.Until(s.fenceAt())
		if wait <= 0 {
			s.lose(ErrLockLost, fmt.Sprintf("no answer from zookeeper for %v of a %v session", time.Since(s.lastAckTime()).Round(time.Millisecond), s.Timeout()))
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-s.acked:
		case <-unguard:
			timer.Stop()
			return
		case <-s.stop:
			timer.Stop()
			return
		case <-s.done:
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

func (s *Session) lastAckTime() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAck
}

// lose ends the session's trust in the lock; kind is ErrLockLost, or
// ErrLockGone when the lock is already free for others.
func (s *Session) lose(kind error, reason string) {
	s.lostOnce.Do(func() {
		s.err = fmt.Errorf("%w: %s", kind, reason)
		close(s.done)
	})
}

// Connected says the client holds the session with a server now.
func (s *Session) Connected() bool { return s.conn.State() == zk.StateHasSession }

// ACLs are what this session's locks are created with: the lock path's
// and a contender's (open, or the session's identity's own under digest
// auth). Records kept beside a lock take the same.
func (s *Session) ACLs() (lockPath, contender []zk.ACL) {
	a := aclsFor(s.authenticated)
	return a.parent, a.node
}

// Close ends the session; the ensemble deletes its ephemeral znodes.
func (s *Session) Close() {
	s.stopOnce.Do(func() {
		close(s.stop)
		s.conn.Close()
	})
}

// maxPacket is the largest answer a session reads: ZooKeeper's own
// clients refuse larger ones alike.
const maxPacket = 1 << 20
