package lock

import (
	"context"
	"errors"

	"github.com/go-zookeeper/zk"
)

// A request in flight when the connection drops fails with
// ErrConnectionClosed, though the session, and the lock with it, may be
// alive: the client reconnects within the session timeout, to this server
// or another. So a dropped connection is never an error of its own: the
// request waits for the session to come back and is made again, or ends
// with what a lost session calls for (the session's Err: contend again
// while waiting, fence while holding).

// connectionDropped says err is the connection's loss, not the request's.
func connectionDropped(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer)
}

// Retry makes op until it is answered, waiting for the session between
// tries; op must be safe to make twice (a read, or a write that is
// version-checked and idempotent). what names the request in the log.
func (s *Session) Retry(ctx context.Context, what string, op func() error) error {
	for {
		s.cfg.Hooks.step(what)
		err := op()
		if !connectionDropped(err) {
			return err
		}
		s.log.Info("connection dropped with a request in flight; waiting for the session", "request", what, "err", err)
		if err := s.awaitSession(ctx); err != nil {
			return err
		}
	}
}

// awaitSession returns once the client is connected with our session
// again, or the session's error once it is lost, or ctx's.
func (s *Session) awaitSession(ctx context.Context) error {
	for {
		up := s.upSignal()
		select {
		case <-s.done:
			return s.err
		default:
		}
		if s.conn.State() == zk.StateHasSession {
			return nil
		}
		select {
		case <-up:
		case <-s.done:
			return s.err
		case <-s.stop:
			return zk.ErrClosing
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// upSignal is closed at the next StateHasSession event.
func (s *Session) upSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.up == nil {
		s.up = make(chan struct{})
	}
	return s.up
}

// signalUp wakes whoever waits for the session.
func (s *Session) signalUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.up != nil {
		close(s.up)
		s.up = nil
	}
}
