package ensemble

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-zookeeper/zk"
)

// faketimeLib is Debian's libfaketime, preloaded into a server's JVM so
// that its wall clock follows an offset in a file while its monotonic
// clock (session expiry) stays true; both the image and the process
// backend use it.
const faketimeLib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

// faketimeOffset is an offset as faketime's file takes it ("+3600.000s").
func faketimeOffset(offset time.Duration) string {
	return fmt.Sprintf("%+.3fs", offset.Seconds())
}

// faketimeEnv preloads faketime on clockFile, re-read each second.
// FAKETIME_FORCE_MONOTONIC_FIX=0: with the fix that faketime switches on
// for this glibc, an idle JVM spins at 1.7 cores (Debian 12's 0.9.10, JRE
// 17); without it, 0.01 cores, and its stamps and session expiry stay
// right (TestMovableClocks). Three spinning servers on a small machine
// starved the ensemble for a minute.
func faketimeEnv(clockFile string) []string {
	return []string{"LD_PRELOAD=" + faketimeLib, "FAKETIME_TIMESTAMP_FILE=" + clockFile,
		"FAKETIME_CACHE_DURATION=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_FORCE_MONOTONIC_FIX=0"}
}

// writeClockFile writes an offset atomically: faketime must never read a
// half-written file.
func writeClockFile(path string, offset time.Duration) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(faketimeOffset(offset)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ErrFixedClocks: SetClock on an ensemble started without MovableClocks.
var ErrFixedClocks = errors.New("this ensemble's servers were started with fixed clocks; start it with movable clocks (Options.MovableClocks, or zoo-chaos up) to move one")

// SetClock puts server id's wall clock offset from the true time; zero
// sets it right. ZooKeeper stamps znodes (ctime, mtime) with the leader's
// wall clock, so a leader's offset shows in every write it orders.
func (e *Ensemble) SetClock(ctx context.Context, id int, offset time.Duration) error {
	if !e.opts.MovableClocks {
		return ErrFixedClocks
	}
	if err := e.backend.SetClock(ctx, id, offset); err != nil {
		return err
	}
	e.mu.Lock()
	e.clocks[id] = offset
	e.mu.Unlock()
	return nil
}

// ClockOffset is server id's clock offset as last set.
func (e *Ensemble) ClockOffset(id int) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clocks[id]
}

func (b *processBackend) clockFile(id int) string { return filepath.Join(b.serverDir(id), "clock") }

// movableClockEnv preloads faketime on server id's clock file, written at
// +0 s on its first start so that a restart keeps the offset last set.
func (b *processBackend) movableClockEnv(id int) ([]string, error) {
	if _, err := os.Stat(faketimeLib); err != nil {
		return nil, fmt.Errorf("movable clocks need %s: apt-get install faketime", faketimeLib)
	}
	if _, err := os.Stat(b.clockFile(id)); os.IsNotExist(err) {
		if err := writeClockFile(b.clockFile(id), 0); err != nil {
			return nil, err
		}
	}
	return faketimeEnv(b.clockFile(id)), nil
}

func (b *processBackend) SetClock(_ context.Context, id int, offset time.Duration) error {
	return writeClockFile(b.clockFile(id), offset)
}

// warmUp gives each server of a movable-clock ensemble a session and a
// write before a trial fires at it: under faketime a server answers its
// first clients in seconds while its JVM warms, which a wrapper's 5 s
// connect timeout would count as an outage no fault caused.
func (e *Ensemble) WarmUp(ctx context.Context) error {
	for _, id := range e.IDs() {
		conn, events, err := zk.Connect([]string{e.ClientAddr(id)}, 4*time.Second, zk.WithLogger(Quiet{}))
		if err != nil {
			return err
		}
		err = AwaitSession(events, 30*time.Second)
		if err == nil {
			_, err = conn.Create("/zoo-chaos-warm-up-", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll))
		}
		conn.Close()
		if err != nil {
			return fmt.Errorf("warm up zk%d: %w", id, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// MovableClocks says the servers were started so that SetClock can move
// their clocks.
func (e *Ensemble) MovableClocks() bool { return e.opts.MovableClocks }
