package keeper

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
	"github.com/zoo-locked/zoo-locked/internal/zkclose"
	"github.com/zoo-locked/zoo-locked/internal/zktls"
)

// releaseBound is how long the keeper tries to end a dead wrapper's
// session before it leaves the lock to the session timeout.
const releaseBound = 2 * time.Second

// releaseDeadWrappersLock ends the session of a wrapper that died while
// its job ran, so that the next waiter need not wait out the session
// timeout. Only when all of these hold: the wrapper is dead (we are no
// longer its child: the parent-death signal also comes from the wrapper on
// purpose, and from the exit of the thread that started us), the wrapper
// had handed over its session, and not one process of the job's tree is
// left (as subreaper we inherit every orphan, so an empty list of
// descendants is the whole tree). Anything else, or a server that cannot
// be reached, leaves the lock to expire at T, as if the keeper had died
// too.
func (k *keeper) releaseDeadWrappersLock(wrapper int, encoded string) {
	if encoded == "" || os.Getppid() == wrapper {
		return
	}
	if left := proc.Descendants(k.self); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "zoo-locked: the wrapper died and %d processes of the job's tree are left; the lock frees when the session expires\n", len(left))
		return
	}
	session, err := zkclose.Decode(encoded)
	if err != nil {
		return // not ours to guess at
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseBound)
	defer cancel()
	dial, err := dialerFor(session)
	if err == nil {
		err = zkclose.Close(ctx, session, dial)
	}
	switch {
	case err == nil:
		fmt.Fprintf(os.Stderr, "zoo-locked: the wrapper died; its job's tree is dead and its session 0x%x is closed: the lock is free\n", session.ID)
	case errors.Is(err, zkclose.ErrGone):
	default:
		fmt.Fprintf(os.Stderr, "zoo-locked: the wrapper died; its job's tree is dead, but its session 0x%x could not be closed (%v): the lock frees when the session expires\n", session.ID, err)
	}
}

// dialerFor reaches the servers as the wrapper did: plain TCP, or TLS
// with the wrapper's own files.
func dialerFor(session zkclose.Session) (func(ctx context.Context, address string) (net.Conn, error), error) {
	var d net.Dialer
	if session.TLS.CA == "" {
		return func(ctx context.Context, address string) (net.Conn, error) { return d.DialContext(ctx, "tcp", address) }, nil
	}
	cfg, err := zktls.Files(session.TLS).Config()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, address string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(address)
		tlsDialer := tls.Dialer{NetDialer: &d, Config: cfg.Clone()}
		tlsDialer.Config.ServerName = host
		return tlsDialer.DialContext(ctx, "tcp", address)
	}, nil
}
