package ensembletest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/lock"
)

// TestNegotiatedTimeout pins how the session learns the timeout the server
// granted (the ConnectResponse the dialer reads): a server whose maxSessionTimeout is
// below the request lowers it, and the fence must use the lower value.
func TestNegotiatedTimeout(t *testing.T) {
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess, MaxSessionTimeout: 2 * time.Second})
	s, err := lock.Connect(context.Background(), lock.SessionConfig{
		Servers: []string{e.ClientAddr(1)}, SessionTimeout: 6 * time.Second,
		ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Timeout() != 2*time.Second {
		t.Fatalf("negotiated timeout %v, want the server's 2s", s.Timeout())
	}

	_, err = lock.Connect(context.Background(), lock.SessionConfig{
		Servers: []string{e.ClientAddr(1)}, SessionTimeout: 6 * time.Second,
		ConnectTimeout: 10 * time.Second, KillGrace: 1500 * time.Millisecond,
	})
	var tooLong *lock.GraceTooLongError
	if !errors.Is(err, lock.ErrUsage) || !errors.As(err, &tooLong) || tooLong.Granted != 2*time.Second {
		t.Fatalf("a kill grace that does not fit the granted session: %v, want a usage error", err)
	}

	// A config with only its servers works: the defaults ask for 10 s,
	// the server grants its 2 s, and the connect does not give up at once.
	zero, err := lock.Connect(context.Background(), lock.SessionConfig{Servers: []string{e.ClientAddr(1)}})
	if err != nil {
		t.Fatalf("a SessionConfig with only Servers: %v", err)
	}
	defer zero.Close()
	if zero.Timeout() != 2*time.Second {
		t.Fatalf("negotiated timeout %v from the default request, want the server's 2s", zero.Timeout())
	}
	if _, err := lock.Connect(context.Background(), lock.SessionConfig{}); !errors.Is(err, lock.ErrUsage) {
		t.Fatalf("a SessionConfig with no servers: %v, want a usage error", err)
	}
}
