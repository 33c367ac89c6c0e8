package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/go-zookeeper/zk"
)

// Contender is one znode in a lock's queue, as `zoo-locked status` shows it.
type Contender struct {
	Znode  string `json:"znode"`
	Token  int64  `json:"token"`
	Holder Holder `json:"who"`
	// Foreign says the znode's data is not a zoo-locked holder: some other
	// client queued under the lock.
	Foreign bool `json:"foreign,omitempty"`
	// Recipe names who wrote it: zoo-locked, Curator, kazoo, "ZooKeeper C
	// recipe, session 0x…", go-zookeeper, or a contender pattern.
	Recipe string `json:"recipe"`
}

// LockStatus is what a lock looks like from outside: who holds it, who
// waits in which order, and the last recorded run of a --once-per job.
type LockStatus struct {
	Name    string      `json:"name"`
	Held    bool        `json:"held"`
	Holders []Contender `json:"holders"`
	Waiters []Contender `json:"waiters"`
	LastRun *SlotRecord `json:"last_run,omitempty"`
	// Runs are the last runs, oldest first, each with its State.
	Runs []RunEntry `json:"runs"`
	// Paused is the lock's pause, when one is in effect.
	Paused *Pause `json:"paused,omitempty"`
	// Unreadable says why part of the lock could not be read (a record
	// that is not ours); the rest is still shown.
	Unreadable []string `json:"unreadable,omitempty"`
	// FirstSeen is when the lock was first used, on the ensemble's clock:
	// the earlier creation of its znode and its records'. No slot before
	// it can have been missed.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
}

// Inspect reads the state of lock name under root without contending;
// recipes says which children are contenders.
func Inspect(conn *zk.Conn, root, name string, recipes lock.Contenders) (LockStatus, error) {
	st := LockStatus{Name: name, Holders: []Contender{}, Waiters: []Contender{}, Runs: []RunEntry{}}
	if err := lock.ValidateName(name); err != nil {
		return st, err
	}
	parent := path.Join(root, name)
	// A lock whose znode is gone may still have records beside it: they
	// are read all the same, so that status shows what reset would clear.
	children, stat, err := conn.Children(parent)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return st, fmt.Errorf("list %s: %w", parent, err)
	}
	if stat != nil && stat.Ctime > 0 {
		st.noteSeen(stat.Ctime)
	}
	if _, stat, err := conn.Exists(recordsPath(parent)); err != nil {
		return st, fmt.Errorf("read %s: %w", recordsPath(parent), err)
	} else if stat != nil && stat.Ctime > 0 {
		st.noteSeen(stat.Ctime)
	}
	var queue []Contender
	for _, c := range recipes.Order(children) {
		data, stat, err := conn.Get(path.Join(parent, c))
		if errors.Is(err, zk.ErrNoNode) {
			continue // released while we looked
		}
		if err != nil {
			return st, fmt.Errorf("read %s: %w", c, err)
		}
		ct := Contender{Znode: path.Join(parent, c), Token: stat.Czxid}
		// A contender whose data is not ours still counts in the queue.
		if json.Unmarshal(data, &ct.Holder) != nil || ct.Holder.Pid == 0 {
			ct.Holder, ct.Foreign = Holder{}, true
			ct.Recipe = recipes.Describe(c)
		} else {
			ct.Recipe = lock.RecipeZooLocked
		}
		queue = append(queue, ct)
	}
	limit := 1
	if len(queue) > 0 && queue[0].Holder.Limit > 1 {
		limit = queue[0].Holder.Limit
	}
	for i, c := range queue {
		if i < limit {
			st.Holders = append(st.Holders, c)
		} else {
			st.Waiters = append(st.Waiters, c)
		}
	}
	st.Held = len(st.Holders) > 0
	rec, err := readSlotRecord(conn, parent)
	switch {
	case errors.Is(err, ErrUnreadableRecord):
		st.Unreadable = append(st.Unreadable, err.Error())
	case err != nil:
		return st, err
	}
	st.LastRun = rec
	l, _, err := readLedger(conn, parent)
	switch {
	case errors.Is(err, ErrUnreadableRecord):
		st.Unreadable = append(st.Unreadable, err.Error())
	case err != nil:
		return st, err
	}
	// The ensemble's clock is not at hand here; a pause that ends within
	// this host's clock error may show a moment too long or too short.
	if p, err := readPause(conn, parent); err != nil {
		return st, err
	} else if p.InEffect(time.Now()) {
		st.Paused = p
	}
	queued := map[int64]bool{}
	for _, c := range queue {
		queued[c.Token] = true
	}
	for _, e := range l.Runs {
		e.State = e.state(queued[e.Token])
		st.Runs = append(st.Runs, e)
	}
	return st, nil
}

// noteSeen keeps the earliest creation time seen, in ms since the epoch.
func (st *LockStatus) noteSeen(ctime int64) {
	t := time.UnixMilli(ctime).UTC()
	if st.FirstSeen == nil || t.Before(*st.FirstSeen) {
		st.FirstSeen = &t
	}
}

// List inspects every lock under root, sorted by name; the records beside
// each lock are not locks.
func List(conn *zk.Conn, root string, recipes lock.Contenders) ([]LockStatus, error) {
	names, _, err := conn.Children(root)
	if errors.Is(err, zk.ErrNoNode) {
		return []LockStatus{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	// A lock is listed by its znode or, where that is gone, by its records.
	seen := map[string]bool{}
	for _, n := range names {
		seen[strings.TrimSuffix(n, recordsSuffix)] = true
	}
	names = names[:0]
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []LockStatus{}
	for _, n := range names {
		if lock.ValidateName(n) != nil {
			continue
		}
		st, err := Inspect(conn, root, n, recipes)
		if errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrSessionExpired) {
			return nil, err
		}
		if err != nil {
			// One lock that cannot be read must not hide the others.
			st.Unreadable = append(st.Unreadable, err.Error())
		}
		out = append(out, st)
	}
	return out, nil
}
