package lock

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/zkclose"
)

// TestFenceDeadline pins the fence rule (docs/DESIGN.md): SIGKILL (killGrace after the fence)
// lands margin before the earliest expiry lastAck + T.
func TestFenceDeadline(t *testing.T) {
	ack := time.Now()
	for _, tc := range []struct {
		timeout, grace, margin time.Duration
	}{
		{4 * time.Second, 500 * time.Millisecond, 400 * time.Millisecond},
		{10 * time.Second, 2 * time.Second, time.Second},
		{40 * time.Second, 2 * time.Second, time.Second},
		{400 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond},
	} {
		fence := fenceDeadline(ack, tc.timeout, tc.grace)
		if got := fence.Sub(ack); got != tc.timeout-tc.grace-tc.margin {
			t.Errorf("T=%v grace=%v: fence at ack+%v, want ack+%v", tc.timeout, tc.grace, got, tc.timeout-tc.grace-tc.margin)
		}
		if kill := fence.Add(tc.grace); !kill.Before(ack.Add(tc.timeout)) {
			t.Errorf("T=%v: SIGKILL at %v is not before expiry", tc.timeout, kill.Sub(ack))
		}
	}
}

// TestResumedPastDeadlineIgnoresFreshAnswer: a wrapper frozen past its
// fence deadline whose first act on waking is to read an answer from the
// ensemble must not let that answer move the deadline: the lock may have
// been granted elsewhere meanwhile, so it kills first.
func TestResumedPastDeadlineIgnoresFreshAnswer(t *testing.T) {
	s := &Session{
		cfg:   SessionConfig{KillGrace: 500 * time.Millisecond},
		dial:  &dialer{granted: zkclose.Session{Timeout: 4 * time.Second}},
		acked: make(chan struct{}, 1), done: make(chan struct{}),
	}
	s.lastAck = time.Now().Add(-10 * time.Second) // asleep for 10 s of a 4 s session
	s.ack(time.Now())
	select {
	case <-s.Done():
	default:
		t.Fatal("an answer after the fence deadline was taken as fresh: the wrapper resumed past its deadline keeps its job running")
	}
	if err := s.Err(); !errors.Is(err, ErrLockLost) || errors.Is(err, ErrLockGone) || !strings.Contains(err.Error(), "fence deadline passed") {
		t.Fatalf("Err() = %v, want a fence (grace period, not kill-at-once)", err)
	}

	inTime := &Session{
		cfg:   SessionConfig{KillGrace: 500 * time.Millisecond},
		dial:  &dialer{granted: zkclose.Session{Timeout: 4 * time.Second}},
		acked: make(chan struct{}, 1), done: make(chan struct{}),
	}
	inTime.lastAck = time.Now().Add(-time.Second)
	sent := time.Now()
	inTime.ack(sent)
	if inTime.Err() != nil || !inTime.lastAckTime().Equal(sent) {
		t.Fatalf("an answer within the deadline: err %v, lastAck %v, want nil and %v", inTime.Err(), inTime.lastAckTime(), sent)
	}
}
