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

	"github.com/zoo-locked/zoo-locked/internal/fencerule"
)

// SessionConfig is what a Session needs; durations are as the user asked,
// the server may grant a shorter session timeout.
type SessionConfig struct {
	Servers []string
	// SessionTimeout is requested of the servers, which may grant less;
	// zero is DefaultSessionTimeout.
	SessionTimeout time.Duration
	// ConnectTimeout bounds the wait for a first session; zero is
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// KillGrace is how long the child gets between SIGTERM and SIGKILL; the
	// fence fires early enough that SIGKILL lands before expiry. Zero: the
	// work is stopped at the fence with no grace.
	KillGrace time.Duration
	Logger    *slog.Logger
	// Auth is "user:password" for digest authentication, or nil.
	Auth []byte
	// TLS, when set, is used for every connection (the secure client port).
	TLS *tls.Config
	// Hooks are test seams; nil in production.
	Hooks *Hooks
}

// The defaults of a zero SessionConfig, the cron wrapper's too.
const (
	DefaultSessionTimeout = 10 * time.Second
	DefaultConnectTimeout = 10 * time.Second
)

func (c SessionConfig) withDefaults() SessionConfig {
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	return c
}

// Session is one ZooKeeper session that knows when it can no longer trust
// its lock. Done is closed once the holder must stop its work: the session
// expired, the guarded znode vanished, or the fence deadline
// (docs/DESIGN.md, "The fence") passed without an answer from the
// ensemble. A session that holds no lock sends nothing beyond the client's
// own pings: a waiter has no work to fence, and a fleet of waiters would
// otherwise cost the ensemble a request each every T/6.
type Session struct {
	conn *zk.Conn
	cfg  SessionConfig
	log  *slog.Logger
	id   int64
	dial *dialer

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
	cfg = cfg.withDefaults()
	if len(cfg.Servers) == 0 {
		return nil, UsageErrorf("no ZooKeeper servers given (SessionConfig.Servers)")
	}
	s := &Session{
		cfg: cfg, log: cfg.Logger,
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
	s.dial = d
	conn, _, err := zk.Connect(cfg.Servers, cfg.SessionTimeout,
		zk.WithLogger(silent{}),
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
	s.mu.Lock()
	s.id = conn.SessionID()
	s.mu.Unlock()
	if s.Timeout() <= 0 {
		conn.Close()
		return nil, errors.New("the server granted a session but no timeout: its ConnectResponse could not be read")
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

// Credentials are what another connection presents to end this session:
// its id and password, as the servers granted them. Secret — whoever holds
// them can end the session, and so free its locks: keep them out of argv,
// the environment, files and logs. ok is false until a server granted one.
type Credentials struct {
	ID       int64
	Password []byte
}

// Credentials are this session's; see Credentials.
func (s *Session) Credentials() (Credentials, bool) {
	id, password := s.dial.session()
	return Credentials{ID: id, Password: password}, id != 0 && id == s.id
}

// Timeout is the session timeout the ensemble granted.
func (s *Session) Timeout() time.Duration { return s.dial.grantedTimeout() }

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
