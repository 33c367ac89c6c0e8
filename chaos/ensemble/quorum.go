package ensemble

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Modes asks every server for its role.
func (e *Ensemble) Modes(ctx context.Context) map[int]Mode {
	modes := map[int]Mode{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range e.IDs() {
		wg.Go(func() {
			m := ServerMode(ctx, e.ClientAddr(id))
			mu.Lock()
			modes[id] = m
			mu.Unlock()
		})
	}
	wg.Wait()
	return modes
}

// Leader returns the id of the server that says it leads, or an error when
// none does right now.
func (e *Ensemble) Leader(ctx context.Context) (int, error) {
	for id, m := range e.Modes(ctx) {
		if m == ModeLeader {
			return id, nil
		}
	}
	return 0, errors.New("no server is leading")
}

// WaitQuorum waits until every running server serves, exactly one leads, and
// the running servers make a quorum. It logs progress every 5 s.
func (e *Ensemble) WaitQuorum(ctx context.Context) error {
	started := time.Now()
	lastLog := started
	for {
		modes := e.Modes(ctx)
		e.mu.Lock()
		leaders, serving, running := 0, 0, 0
		for id, m := range modes {
			if !e.running[id] {
				continue
			}
			running++
			switch m {
			case ModeLeader, ModeStandalone: // a one-server ensemble orders its own writes
				leaders++
				serving++
			case ModeFollower:
				serving++
			}
		}
		e.mu.Unlock()
		if leaders == 1 && serving == running && 2*serving > e.opts.Servers {
			return nil
		}
		if time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			e.opts.Logger.Info("waiting for quorum", "modes", fmt.Sprint(modes), "elapsed", time.Since(started).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for quorum (modes %v): %w", modes, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
