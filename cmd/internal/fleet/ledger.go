package fleet

import (
	"context"
	"errors"
	"fmt"
	"path"
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

// writtenLedger is the ledger as this run last wrote or read it, and its
// version.
type writtenLedger struct {
	l       ledger
	version int32
}

// asRead is the ledger as a read of it right after that write would give.
func (w writtenLedger) asRead() (ledger, *zk.Stat) {
	return w.l.clone(), &zk.Stat{Version: w.version}
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
	l, err = decodeLedger(data)
	if err != nil {
		return l, stat, fmt.Errorf("%w: %s is not a zoo-locked ledger", ErrUnreadableRecord, ledgerPath(parent))
	}
	return l, stat, nil
}

// updateLedger applies change to the ledger and writes it in one
// transaction with extra, after a check that our contender still exists
// when guarded: a holder that lost the lock writes nothing. A concurrent
// writer (another --limit holder) makes it read and apply again. base,
// when set, is the ledger as this run last read or wrote it: the first
// attempt builds on it without a read (a writer since fails the version
// check).
// It returns the ledger as written.
func (h *held) updateLedger(change func(*ledger), guarded bool, extra func() ([]any, error), base *writtenLedger) (writtenLedger, error) {
	for attempt := 0; ; attempt++ {
		var l ledger
		var stat *zk.Stat
		var err error
		if base != nil && attempt == 0 {
			l, stat = base.asRead()
		} else {
			err = h.s.Retry(context.Background(), "read the run ledger", func() (err error) {
				l, stat, err = readLedger(h.s.Conn(), h.parent)
				return err
			})
		}
		if err != nil && !errors.Is(err, ErrUnreadableRecord) {
			return writtenLedger{}, err
		}
		var read *ledger
		if attempt > 0 && stat != nil {
			snapshot := l.clone() // before change touches l's entries
			read = &snapshot
		}
		// An unreadable ledger is started afresh: it is ours to keep.
		ops, after, err := h.ledgerOps(l, stat, change, guarded, extra)
		if err != nil {
			return writtenLedger{}, err
		}
		// Made again after a dropped connection, a transaction that took
		// effect fails its version check or its create, and is read and
		// made anew like one that raced another holder: every change is
		// idempotent. One that already shows in the ledger took effect
		// whole (the ops beside it are in the same transaction): made
		// again, its check on a contender it released would fail.
		if read != nil && after.l.same(*read) {
			return writtenLedger{l: after.l, version: stat.Version}, nil
		}
		err = h.s.Retry(context.Background(), "write the run ledger", func() error {
			_, err := h.s.Conn().Multi(ops...)
			return err
		})
		if err == nil {
			return after, nil
		}
		if !ledgerRaced(err) || attempt >= 5 {
			return writtenLedger{}, fmt.Errorf("write the run ledger of %s: %w", path.Base(h.parent), err)
		}
	}
}

// ledgerRaced says a ledger transaction failed for a write since its read.
func ledgerRaced(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)
}

// ledgerOps is the transaction that writes change applied to l (read at
// stat; nil: no ledger yet), and the ledger as it will then be.
func (h *held) ledgerOps(l ledger, stat *zk.Stat, change func(*ledger), guarded bool, extra func() ([]any, error)) ([]any, writtenLedger, error) {
	change(&l)
	l.trim()
	data, err := l.encode()
	if err != nil {
		return nil, writtenLedger{}, err
	}
	var ops []any
	if guarded {
		ops = append(ops, &zk.CheckVersionRequest{Path: h.m.Node(), Version: -1})
	}
	after := writtenLedger{l: l}
	if stat == nil {
		ops = append(ops, h.recordsCreate()...)
		ops = append(ops, &zk.CreateRequest{Path: ledgerPath(h.parent), Data: data, Acl: h.nodeACL})
		ops = append(ops, h.oldLayoutDeletes()...)
	} else {
		ops = append(ops, &zk.SetDataRequest{Path: ledgerPath(h.parent), Data: data, Version: stat.Version})
		after.version = stat.Version + 1
	}
	if extra != nil {
		// Made anew each attempt: the record may exist since the last.
		more, err := extra()
		if err != nil {
			return nil, writtenLedger{}, err
		}
		ops = append(ops, more...)
	}
	return ops, after, nil
}

// recordStart adds a run to the ledger before its job starts, building on
// base when set (the ledger as read at the grant).
func (h *held) recordStart(e RunEntry, base *writtenLedger) (writtenLedger, error) {
	return h.updateLedger(func(l *ledger) { l.add(e) }, true, nil, base)
}

// recordEnd completes run id in the ledger, and with rec writes the slot
// record in the same transaction (one quorum write for both), building on
// base when set; with release (Mutex.ReleaseOp), the same transaction
// frees the lock. A run that lost its lock completes its entry unguarded
// where the session still serves; where it does not, the entry stays open
// and reads as lost.
func (h *held) recordEnd(id string, end func(*RunEntry), rec *SlotRecord, guarded bool, base *writtenLedger, release *zk.DeleteRequest) error {
	_, err := h.updateLedger(h.endChange(id, end), guarded, h.endOps(rec, release), base)
	return err
}

// ledgerAtGrant reads the ledger as the lock is granted, beside the pause,
// so that the run's entry then goes out without a read of its own.
func (h *held) ledgerAtGrant() *writtenLedger { return asBase(readLedger(h.s.Conn(), h.parent)) }

// asBase is a read of the ledger as the base a write builds on: nil when
// there is none yet or it could not be read (recordStart then reads).
func asBase(l ledger, stat *zk.Stat, err error) *writtenLedger {
	if err != nil || stat == nil {
		return nil
	}
	return &writtenLedger{l: l, version: stat.Version}
}

func (h *held) endChange(id string, end func(*RunEntry)) func(*ledger) {
	return func(l *ledger) { l.end(id, end) }
}

// endOps is what a run's end writes beside its ledger entry: the slot
// record, if any, and the release, if any.
func (h *held) endOps(rec *SlotRecord, release *zk.DeleteRequest) func() ([]any, error) {
	if rec == nil && release == nil {
		return nil
	}
	return func() ([]any, error) {
		var ops []any
		if rec != nil {
			op, err := h.slotRecordOp(*rec)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		if release != nil {
			ops = append(ops, release)
		}
		return ops, nil
	}
}

// oldLayoutDeletes removes what releases before the ledger moved kept under
// the lock path, in the transaction that first writes the new ledger: the
// C recipe orders every child by the text after its last '-' and breaks
// on these. Reads only, once per lock.
func (h *held) oldLayoutDeletes() []any {
	var ops []any
	for _, name := range []string{oldLedgerName, oldSlotRecordName} {
		p := path.Join(h.parent, name)
		if ok, _, err := h.s.Conn().Exists(p); err == nil && ok {
			ops = append(ops, &zk.DeleteRequest{Path: p, Version: -1})
		}
	}
	return ops
}

// recordsCreate makes the records' znode in the transaction that first
// writes the ledger, when it is missing: no write of its own.
func (h *held) recordsCreate() []any {
	if ok, _, err := h.s.Conn().Exists(recordsPath(h.parent)); err == nil && ok {
		return nil
	}
	return []any{&zk.CreateRequest{Path: recordsPath(h.parent), Acl: h.parentACL}}
}

// failedInSlot counts the runs of the slot starting at slotStart that
// did not succeed, whichever node made them: --max-attempts's count. The
// ledger it read is returned too, for the run's entry to build on.
func (h *held) failedInSlot(slotStart time.Time) (int, *writtenLedger, error) {
	var l ledger
	var stat *zk.Stat
	err := h.s.Retry(context.Background(), "read the run ledger", func() (err error) {
		l, stat, err = readLedger(h.s.Conn(), h.parent)
		return err
	})
	if err != nil && !errors.Is(err, ErrUnreadableRecord) {
		return 0, nil, err
	}
	return FailedInSlot(l.Runs, slotStart), asBase(l, stat, err), nil
}
