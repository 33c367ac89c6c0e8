package lock

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
)

// recordsSuffix names the persistent znode beside the lock path that holds
// the lock's records: /zoo-locked/invoices~ for the lock
// /zoo-locked/invoices. Beside the path, not under it, so that every recipe
// sharing the lock path sees only contenders there; a znode of its own,
// with the lock's ACL, so that under --auth-file only the lock's owner may
// change or delete them.
const recordsSuffix = "~"

func recordsPath(lockPath string) string { return lockPath + recordsSuffix }

// The ledger holds the lock's last runs: one place where an operator learns
// whether the job ran, whichever node ran it.
func ledgerPath(lockPath string) string { return recordsPath(lockPath) + "/runs" }

// oldLedgerName is where releases before that kept the ledger, under the
// lock path; the first write of the new ledger deletes it and the old
// record in the same transaction.
const oldLedgerName = "runs"

// LedgerSize bounds the ledger: the last runs, a few hundred bytes each.
const LedgerSize = 20

// How a run ended, as the ledger says it.
const (
	EndExited     = "exited"      // the job exited by itself (Exit is its status)
	EndFenced     = "fenced"      // the lock was lost and the job killed (Reason says why)
	EndMaxRuntime = "max-runtime" // --max-runtime stopped it
	EndSignal     = "signal"      // a signal to the wrapper stopped it
)

// RunEntry is one run in the ledger: written when the job starts, completed
// when it ends. An entry never completed was lost with its holder (a crash,
// or a lock lost with the session).
type RunEntry struct {
	ID    string `json:"id"` // RunID of the lock name and token
	Host  string `json:"host"`
	Pid   int    `json:"pid"`
	Token int64  `json:"token"`
	// Start and End are on the ensemble's clock.
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end,omitempty"`
	Exit   *int       `json:"exit,omitempty"`
	Ending string     `json:"ending,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// SlotStart is the --once-per slot the run belongs to, if any.
	SlotStart *time.Time `json:"slot_start,omitempty"`
	// State is what Inspect makes of the entry: ok, failed, fenced,
	// stopped, running or lost.
	State string `json:"state,omitempty"`
}

// Succeeded says the run ended by itself with status 0.
func (e RunEntry) Succeeded() bool {
	return e.End != nil && e.Ending == EndExited && e.Exit != nil && *e.Exit == 0
}

// state judges an entry; alive says whether its contender still exists.
func (e RunEntry) state(alive bool) string {
	switch {
	case e.End == nil && alive:
		return "running"
	case e.End == nil:
		return "lost"
	case e.Succeeded():
		return "ok"
	case e.Ending == EndFenced:
		return "fenced"
	case e.Ending == EndExited:
		return "failed"
	}
	return "stopped"
}

// RunID is the run's id, a UUID (version 5 form) derived from the lock
// name and the run's token: the same for every observer of the run, and
// unique per run because tokens are.
func RunID(name string, token int64) string {
	sum := sha1.Sum([]byte("zoo-locked/" + name + "/" + strconv.FormatInt(token, 10)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// writtenLedger is the ledger as this run last wrote it, and its version.
type writtenLedger struct {
	l       ledger
	version int32
}

type ledger struct {
	Runs []RunEntry `json:"runs"`
}

func readLedger(conn *zk.Conn, parent string) (ledger, *zk.Stat, error) {
	var l ledger
	data, stat, err := conn.Get(ledgerPath(parent))
	if errors.Is(err, zk.ErrNoNode) {
		return l, nil, nil
	}
	if err != nil {
		return l, nil, fmt.Errorf("read the run ledger of %s: %w", path.Base(parent), err)
	}
	if err := json.Unmarshal(data, &l); err != nil {
		return l, stat, fmt.Errorf("%w: %s is not a zoo-locked ledger", ErrUnreadableRecord, ledgerPath(parent))
	}
	return l, stat, nil
}

// updateLedger applies change to the ledger and writes it in one
// transaction with extra, after a check that our contender still exists
// when guarded: a holder that lost the lock writes nothing. A concurrent
// writer (another --limit holder) makes it read and apply again.
func (m *Mutex) updateLedger(change func(*ledger), guarded bool, extra func() ([]any, error)) error {
	conn := m.s.Conn()
	ledgerPath := ledgerPath(m.parent)
	for attempt := 0; ; attempt++ {
		var l ledger
		var stat *zk.Stat
		var err error
		if cached := m.written; cached != nil && attempt == 0 {
			// The run's own last write: no read on the path from the
			// job's end to the release; a writer since fails the version.
			l, stat = ledger{Runs: slices.Clone(cached.l.Runs)}, &zk.Stat{Version: cached.version}
		} else {
			err = m.s.retry(context.Background(), "read the run ledger", func() (err error) {
				l, stat, err = readLedger(conn, m.parent)
				return err
			})
		}
		if err != nil && !errors.Is(err, ErrUnreadableRecord) {
			return err
		}
		// An unreadable ledger is started afresh: it is ours to keep.
		change(&l)
		if over := len(l.Runs) - LedgerSize; over > 0 {
			l.Runs = l.Runs[over:]
		}
		data, err := json.Marshal(l)
		if err != nil {
			return err
		}
		var ops []any
		if guarded {
			ops = append(ops, &zk.CheckVersionRequest{Path: m.node, Version: -1})
		}
		if stat == nil {
			ops = append(ops, m.recordsCreate()...)
			ops = append(ops, &zk.CreateRequest{Path: ledgerPath, Data: data, Acl: m.acl.node})
			ops = append(ops, m.oldLayoutDeletes()...)
		} else {
			ops = append(ops, &zk.SetDataRequest{Path: ledgerPath, Data: data, Version: stat.Version})
		}
		if extra != nil {
			// Made anew each attempt: the record may exist since the last.
			more, err := extra()
			if err != nil {
				return err
			}
			ops = append(ops, more...)
		}
		// Made again after a dropped connection, a transaction that took
		// effect fails its version check or its create, and is read and
		// made anew like one that raced another holder: every change is
		// idempotent.
		err = m.s.retry(context.Background(), "write the run ledger", func() error {
			_, err := conn.Multi(ops...)
			return err
		})
		raced := errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists)
		if err == nil {
			version := int32(0)
			if stat != nil {
				version = stat.Version + 1
			}
			m.written = &writtenLedger{l: l, version: version}
		}
		if err == nil || !raced || attempt >= 5 {
			if err != nil {
				return fmt.Errorf("write the run ledger of %s: %w", path.Base(m.parent), err)
			}
			return nil
		}
	}
}

// recordStart adds a run to the ledger as the job starts.
func (m *Mutex) recordStart(e RunEntry) error {
	return m.updateLedger(func(l *ledger) {
		if !slices.ContainsFunc(l.Runs, func(r RunEntry) bool { return r.ID == e.ID }) {
			l.Runs = append(l.Runs, e)
		}
	}, true, nil)
}

// recordEnd completes run id in the ledger, and with rec writes the slot
// record in the same transaction (one quorum write for both). A run that
// lost its lock completes its entry unguarded where the session still
// serves; where it does not, the entry stays open and reads as lost.
func (m *Mutex) recordEnd(id string, end func(*RunEntry), rec *SlotRecord, guarded bool) error {
	var extra func() ([]any, error)
	if rec != nil {
		extra = func() ([]any, error) {
			op, err := m.slotRecordOp(*rec)
			return []any{op}, err
		}
	}
	return m.updateLedger(func(l *ledger) {
		for i := range l.Runs {
			if l.Runs[i].ID == id {
				end(&l.Runs[i])
				return
			}
		}
		// Our start entry never made it (or was trimmed): add it whole.
		e := RunEntry{ID: id}
		end(&e)
		l.Runs = append(l.Runs, e)
	}, guarded, extra)
}

// oldLayoutDeletes removes what releases before the ledger moved kept under
// the lock path, in the transaction that first writes the new ledger: the
// C recipe orders every child by the text after its last '-' and breaks
// on these. Reads only, once per lock.
func (m *Mutex) oldLayoutDeletes() []any {
	var ops []any
	for _, name := range []string{oldLedgerName, oldSlotRecordName} {
		p := path.Join(m.parent, name)
		if ok, _, err := m.s.Conn().Exists(p); err == nil && ok {
			ops = append(ops, &zk.DeleteRequest{Path: p, Version: -1})
		}
	}
	return ops
}

// recordsCreate makes the records' znode in the transaction that first
// writes the ledger, when it is missing: no write of its own.
func (m *Mutex) recordsCreate() []any {
	if ok, _, err := m.s.Conn().Exists(recordsPath(m.parent)); err == nil && ok {
		return nil
	}
	return []any{&zk.CreateRequest{Path: recordsPath(m.parent), Acl: m.acl.parent}}
}
