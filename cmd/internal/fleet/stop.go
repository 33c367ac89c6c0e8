package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/go-zookeeper/zk"
)

// A stop request is a znode among the lock's records, NAME~/stop-<token>,
// for the run holding that token: the holder's wrapper watches for it,
// stops the job's tree (SIGTERM, the grace, SIGKILL), records the run as
// stopped and only then releases the lock (S4). Naming the token makes a
// request for a run that has ended harmless to the next.
func stopPath(lockPath string, token int64) string {
	return recordsPath(lockPath) + "/stop-" + strconv.FormatInt(token, 10)
}

// StopRequest is who asked a run to stop.
type StopRequest struct {
	By string `json:"by"`
}

// ErrForeignHolder: a holder of the lock is not a zoo-locked wrapper, so
// nothing will act on a stop request.
var ErrForeignHolder = errors.New("held by another recipe")

// RequestStop asks every zoo-locked holder of lock name to stop its job,
// and returns the holders asked; none when the lock is free.
func RequestStop(s *lock.Session, root, name string, recipes lock.Contenders, req StopRequest) ([]Contender, error) {
	parent, err := knownLock(s, root, name)
	if err != nil {
		return nil, err
	}
	st, err := Inspect(s.Conn(), root, name, recipes)
	if err != nil {
		return nil, err
	}
	for _, h := range st.Holders {
		if h.Foreign {
			return nil, fmt.Errorf("%w: %s holds %s (%s), which no zoo-locked stop reaches; stop it with that tool", ErrForeignHolder, h.Recipe, name, h.Znode)
		}
	}
	data, _ := json.Marshal(req) // plain fields
	for _, h := range st.Holders {
		if err := recordsWrite(s, parent, stopPath(parent, h.Token), data); err != nil {
			return nil, err
		}
	}
	return st.Holders, nil
}

// AwaitStopped returns once holder's contender is gone, that is once its
// job's tree is dead and the lock released, and clears the request;
// progress is called every interval while it waits.
func AwaitStopped(ctx context.Context, s *lock.Session, holder Contender, interval time.Duration, progress func(waited time.Duration)) error {
	began := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, _, gone, err := s.Conn().ExistsW(holder.Znode)
		if err != nil {
			return fmt.Errorf("watch %s: %w", holder.Znode, err)
		}
		if !ok {
			break
		}
	wait:
		for {
			select {
			case <-gone:
				break wait
			case <-tick.C:
				progress(time.Since(began))
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
	// The wrapper clears its request as it ends; one killed before it
	// could leaves it behind.
	err := s.Conn().Delete(stopPath(path.Dir(holder.Znode), holder.Token), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

// watchStop reports a stop request for this run, once, until quit is
// closed; a lost session ends it (the run is fenced anyway).
func (h *held) watchStop(quit <-chan struct{}) <-chan StopRequest {
	stops := make(chan StopRequest, 1)
	p := stopPath(h.parent, h.m.Token())
	go func() {
		for {
			var (
				requested bool
				data      []byte
				changed   <-chan zk.Event
			)
			err := h.s.Retry(context.Background(), "watch for a stop request", func() (err error) {
				requested, _, changed, err = h.s.Conn().ExistsW(p)
				if err == nil && requested {
					data, _, err = h.s.Conn().Get(p)
					if errors.Is(err, zk.ErrNoNode) {
						requested, err = false, nil // cleared as we looked
					}
				}
				return err
			})
			if err != nil {
				return
			}
			if requested {
				var req StopRequest
				_ = json.Unmarshal(data, &req) // a stop says stop, whoever it names
				stops <- req
				return
			}
			select {
			case <-changed:
			case <-quit:
				return
			}
		}
	}()
	return stops
}

// clearStop deletes this run's stop request once the run has ended.
func (h *held) clearStop() {
	_ = h.s.Conn().Delete(stopPath(h.parent, h.m.Token()), -1) // the stop command clears it too
}
