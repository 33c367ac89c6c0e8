package lock

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/internal/fencerule"
)

// The guard of a held lock: a heartbeat that proves its znode still
// exists, and the fence that fires when the ensemble stops answering. Its
// one invariant: Done closes before anyone else can be granted the lock.

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
	if !s.cfg.Hooks.fenceOff() {
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
	late := time.Now().After(deadline) && !s.cfg.Hooks.fenceOff()
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

// Done is closed once the held lock can no longer be trusted: the work it
// guards must stop. One session guards one lock, so it is the session's
// Done; a caller holding only the Mutex needs nothing else.
func (m *Mutex) Done() <-chan struct{} { return m.s.Done() }

// Err says why Done closed (Session.Err), or nil while it is open.
func (m *Mutex) Err() error { return m.s.Err() }
