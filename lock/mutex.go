package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// contenderPrefix marks our contender znodes: "_c_<guid>-lock-<seq>", the
// protected form, so that a create whose reply was lost is found again.
const contenderPrefix = "_c_"

// Mutex is the lock recipe for one name: ephemeral-sequential contenders
// under <root>/<name>; the lowest `limit` sequences hold (1: a mutex, N: a
// semaphore); each waiter watches only its `limit` nearest predecessors, so
// a release wakes at most `limit` waiters — exactly one for a mutex —
// however long the queue. One Mutex contends once.
type Mutex struct {
	s      *Session
	cfg    MutexConfig
	limit  int
	parent string
	acl    acls
	guid   string
	log    *slog.Logger

	// endsSession says the session is closed after any error (see
	// LockOrClose): closing deletes the contender in the same write, so
	// contend leaves it instead of paying a delete first.
	endsSession bool

	node      string
	token     int64
	ctime     time.Time // our znode's creation, on the ensemble's clock
	createdAt time.Time // the same instant on our clock (the create's midpoint)
	// createdWithin bounds createdAt's error: half the create's round
	// trip, or the whole search when its reply was lost.
	createdWithin time.Duration
	granted       time.Time // send time of the listing that granted the lock
}

// MutexConfig says which lock to contend for and how.
type MutexConfig struct {
	Root, Name string
	// Limit is how many may hold the lock at once; 0 or 1 is a mutex.
	Limit int
	// Data is what status shows about this contender (host, pid, command).
	Data   []byte
	Logger *slog.Logger
	// Contenders says which children of the lock path queue for it: every
	// common recipe's, so that a fleet part on another tool stays excluded.
	Contenders Contenders
	// Style names our contender so that another recipe counts it; zero is
	// StyleZooLocked.
	Style ContenderStyle
}

// NewMutex prepares a contender on session s.
func NewMutex(s *Session, cfg MutexConfig) (*Mutex, error) {
	if err := ValidateName(cfg.Name); err != nil {
		return nil, err
	}
	limit := max(cfg.Limit, 1)
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mutex{
		s: s, cfg: cfg, limit: limit, parent: path.Join(cfg.Root, cfg.Name), acl: aclsFor(s.authenticated),
		guid: hex.EncodeToString(b[:]), log: log,
	}, nil
}

// Node is the full path of our contender znode once created.
func (m *Mutex) Node() string { return m.node }

// Path is the lock's znode, the parent of every contender.
func (m *Mutex) Path() string { return m.parent }

// Created is when our contender was created, on the ensemble's clock (its
// ctime, stamped by the leader) and on ours (the create's midpoint): their
// difference is this host's clock error, known to within (half the
// create's round trip, plus the millisecond ctime is kept in).
func (m *Mutex) Created() (onEnsemble, onOurClock time.Time, within time.Duration) {
	return m.ctime, m.createdAt, m.createdWithin + time.Millisecond
}

// noteCreated marks the create sent at sent as answered now.
func (m *Mutex) noteCreated(sent time.Time) {
	now := m.s.cfg.Hooks.Now()
	m.createdAt = sent.Add(now.Sub(sent) / 2)
	m.createdWithin = now.Sub(sent) / 2
}

// Token is the fencing token: our znode's czxid, greater than every earlier
// holder's because every earlier holder's znode was created before ours.
func (m *Mutex) Token() int64 { return m.token }

// Granted is the send time of the request that showed we hold the lock:
// the ensemble answered it, so the session was alive then.
func (m *Mutex) Granted() time.Time { return m.granted }

// Lock contends and returns once we hold the lock, or ErrBusy when ctx
// ends first. Once it returns nil the session guards the lock: Session.Done
// closes, with Session.Err saying why, as soon as the lock can no longer be
// trusted (the session expired, our znode vanished, or the ensemble has
// been silent until the fence deadline), in time to stop the work before
// anyone else can be granted it. On every error our contender is gone.
func (m *Mutex) Lock(ctx context.Context) error { return m.contend(ctx, true) }

// TryLock takes the lock if it is free now, else returns an error wrapping
// ErrBusy (a *HeldError naming the holder).
func (m *Mutex) TryLock(ctx context.Context) error { return m.contend(ctx, false) }

// LockOrClose is Lock (wait) or TryLock for a caller that gives the
// session up when it does not get the lock: on an error it closes s, whose
// end deletes our contender in the same write, one write fewer than
// Lock's own delete. A one-shot program (the cron wrapper) pays less.
func (m *Mutex) LockOrClose(ctx context.Context, wait bool) error {
	m.endsSession = true
	err := m.contend(ctx, wait)
	if err != nil {
		m.s.Close()
	}
	return err
}

// Unlock releases the lock: the session stops guarding it and our
// contender is deleted. A holder about to exit may close the session
// instead, which deletes the contender in the same write.
func (m *Mutex) Unlock() error {
	m.s.stopGuard()
	err := m.s.Retry(context.Background(), "release", func() error { return m.s.Conn().Delete(m.node, -1) })
	if errors.Is(err, zk.ErrNoNode) {
		return nil // a delete whose answer a dropped connection ate
	}
	return err
}

// ReleaseOp is Unlock for a holder that releases the lock in a
// transaction of its own writes, so that the lock is free the moment they
// commit (the cron wrapper completes its run's record in it): the session
// stops guarding the lock now, and the op deletes our contender. Until the
// transaction commits, or if it never does, the contender stays; closing
// the session deletes it in any case.
func (m *Mutex) ReleaseOp() *zk.DeleteRequest {
	m.s.stopGuard()
	return &zk.DeleteRequest{Path: m.node, Version: -1}
}

func (m *Mutex) contend(ctx context.Context, wait bool) error {
	if err := m.create(ctx); err != nil {
		return err
	}
	// The token never changes: it is read once, alongside the first
	// listing, so a holder that finds itself first pays one round trip.
	token := make(chan error, 1)
	go func() { token <- m.readToken(ctx) }()
	for {
		sent := time.Now()
		ahead, err := m.ahead(ctx)
		if err != nil {
			return m.abandon(err)
		}
		if len(ahead) < m.limit {
			if err := <-token; err != nil {
				return m.abandon(err)
			}
			m.granted = sent
			m.s.guard(m.node, m.granted)
			return nil
		}
		if !wait {
			return m.abandon(&HeldError{Holder: path.Base(ahead[0])})
		}
		// Only a departure among our `limit` nearest predecessors can bring
		// us under the limit: one further ahead leaves as many ahead of us
		// within reach as before.
		woke, gone, err := m.watch(ctx, ahead[len(ahead)-m.limit:])
		if err != nil {
			return m.abandon(err)
		}
		if gone {
			continue
		}
		select {
		case <-woke:
		case <-ctx.Done():
			return m.abandon(fmt.Errorf("%w: %v", ErrBusy, context.Cause(ctx)))
		case <-m.s.Done():
			return m.abandon(m.s.Err())
		}
	}
}

func (m *Mutex) readToken(ctx context.Context) error {
	var stat *zk.Stat
	err := m.s.Retry(ctx, "read token", func() (err error) {
		_, stat, err = m.s.Conn().Exists(m.node)
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("read token of %s: %w", m.node, err)
	case stat == nil:
		return fmt.Errorf("%w: contender %s vanished", ErrLockLost, m.node)
	}
	m.token = stat.Czxid
	m.ctime = time.UnixMilli(stat.Ctime).UTC()
	return nil
}

// watch sets a watch on each znode and returns a channel that receives
// when any of them fires; gone says one had already vanished.
func (m *Mutex) watch(ctx context.Context, nodes []string) (woke <-chan struct{}, gone bool, err error) {
	ch := make(chan struct{}, len(nodes))
	for _, n := range nodes {
		var exists bool
		var events <-chan zk.Event
		err := m.s.Retry(ctx, "watch predecessor", func() (err error) {
			exists, _, events, err = m.s.Conn().ExistsW(n)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("watch %s: %w", n, err)
		}
		if !exists {
			return nil, true, nil
		}
		m.log.Debug("waiting for predecessor", "lock", path.Base(m.parent), "predecessor", path.Base(n))
		go func() {
			// The library fires or closes every watch channel, at the
			// latest when the connection closes.
			<-events
			ch <- struct{}{}
		}()
	}
	return ch, false, nil
}

// create makes our contender znode, creating the parents as needed. A
// create whose reply a connection drop ate may still have taken effect:
// until a listing shows it did not, we look for our guid instead of
// creating again, or we would queue behind a contender of our own.
func (m *Mutex) create(ctx context.Context) error {
	// The parents usually exist: try the contender first and create them
	// only when it reports they are missing (a round trip saved).
	name := path.Join(m.parent, m.namePrefix())
	mayExist := false
	firstTry := m.s.cfg.Hooks.Now()
	for attempt := 0; ; attempt++ {
		var err error
		if mayExist {
			var found string
			if found, err = m.findOurs(); err == nil {
				if found != "" {
					m.log.Debug("found our contender after a lost reply", "lock", path.Base(m.parent), "node", found)
					m.node = found
					// When the create took effect is unknown here: at
					// some point since the first try.
					m.noteCreated(firstTry)
					return nil
				}
				mayExist = false
			}
		}
		if !mayExist {
			var created string
			before := m.s.cfg.Hooks.Now()
			created, err = m.s.Conn().Create(name, m.cfg.Data, zk.FlagEphemeral|zk.FlagSequence, m.acl.node)
			m.log.Debug("create contender", "lock", path.Base(m.parent), "node", created, "err", err)
			switch {
			case err == nil:
				m.node = created
				m.noteCreated(before)
				return nil
			case errors.Is(err, zk.ErrNoNode):
				// The lock's first run: make its parent with the contender.
				before = m.s.cfg.Hooks.Now()
				created, err = m.createWithParents(name)
				switch {
				case err == nil:
					m.node = created
					m.noteCreated(before)
					return nil
				case errors.Is(err, zk.ErrAPIError):
					// Applied, most likely, and answered in a form the
					// client cannot read: look for our guid now.
					mayExist = true
					continue
				case errors.Is(err, zk.ErrNodeExists):
					// Another contender made a parent meanwhile.
					if err := m.ensureParent(); err != nil {
						return err
					}
					continue
				case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer):
					mayExist = true
				case unimplemented(err), errors.Is(err, zk.ErrBadArguments):
					return fmt.Errorf("%w: create %s: %v", ErrOldServer, m.parent, err)
				default:
					return fmt.Errorf("create %s with its parents: %w", name, err)
				}
			case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer):
				mayExist = true
			case errors.Is(err, zk.ErrNoAuth):
				return fmt.Errorf("lock %s was created by other credentials (its ACL lets them alone queue under it; check the credentials): %w", path.Base(m.parent), err)
			default:
				return fmt.Errorf("create contender under %s: %w", m.parent, err)
			}
		}
		if connectionDropped(err) {
			// Not an attempt: the session may be alive, and the create with it.
			attempt--
		}
		if attempt > 20 {
			return fmt.Errorf("create contender under %s: %w", m.parent, err)
		}
		if connectionDropped(err) {
			if werr := m.s.awaitSession(ctx); werr != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("%w: %v", ErrBusy, werr)
				}
				return werr
			}
			continue
		}
		select {
		case <-ctx.Done():
			// A create may still land; the session's end removes it.
			return fmt.Errorf("%w: %v", ErrBusy, context.Cause(ctx))
		case <-m.s.Done():
			return m.s.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *Mutex) findOurs() (string, error) {
	children, _, err := m.s.Conn().Children(m.parent)
	if errors.Is(err, zk.ErrNoNode) {
		return "", nil // no parent, so no contender of ours under it
	}
	if err != nil {
		return "", err
	}
	for _, c := range children {
		if strings.HasPrefix(c, m.namePrefix()) {
			return path.Join(m.parent, c), nil
		}
	}
	return "", nil
}

// ahead lists, in queue order, the contenders before ours.
func (m *Mutex) ahead(ctx context.Context) ([]string, error) {
	var children []string
	err := m.s.Retry(ctx, "list contenders", func() (err error) {
		children, _, err = m.s.Conn().Children(m.parent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list contenders of %s: %w", m.parent, err)
	}
	ordered := m.cfg.Contenders.Order(children)
	ours := path.Base(m.node)
	for i, c := range ordered {
		if c == ours {
			out := make([]string, i)
			for j := range i {
				out[j] = path.Join(m.parent, ordered[j])
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w: contender %s vanished", ErrLockLost, m.node)
}

func (m *Mutex) abandon(err error) error {
	if m.node != "" && !m.endsSession {
		if derr := m.s.Conn().Delete(m.node, -1); derr != nil && !errors.Is(derr, zk.ErrNoNode) {
			m.log.Debug("delete contender failed; the session's end removes it", "node", m.node, "err", derr)
		}
	}
	return err
}
