package fleet

import (
	"errors"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/lock"
)

// ResetResult says what Reset cleared.
type ResetResult struct {
	RecordDeleted bool `json:"record_deleted"`
	// AttemptsForgiven counts the failed --once-per runs that no longer
	// count against --max-attempts.
	AttemptsForgiven int `json:"attempts_forgiven"`
}

// Cleared says whether Reset changed anything.
func (r ResetResult) Cleared() bool { return r.RecordDeleted || r.AttemptsForgiven > 0 }

// Reset clears what makes a --once-per firing of lock name skip or refuse:
// the slot record, at its place beside the lock and at the old one under
// it, and the failed attempts of the ledger (a reset entry, after which
// they no longer count). It refuses, with lock.ErrBusy, while anyone holds
// or waits for the lock: the record belongs to the runs in flight. by is
// who asks, for the ledger.
func Reset(conn *zk.Conn, root, name string, recipes lock.Contenders, by string) (ResetResult, error) {
	var res ResetResult
	if err := lock.ValidateName(name); err != nil {
		return res, err
	}
	parent := path.Join(root, name)
	children, _, err := conn.Children(parent)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return res, fmt.Errorf("list %s: %w", parent, err)
	}
	if queue := recipes.Order(children); len(queue) > 0 {
		return res, fmt.Errorf("%w: %s has %d contenders (held); reset it when it is free", lock.ErrBusy, name, len(queue))
	}
	for _, record := range []string{slotRecordPath(parent), path.Join(parent, oldSlotRecordName)} {
		err = conn.Delete(record, -1)
		switch {
		case errors.Is(err, zk.ErrNoNode):
		case err != nil:
			return res, fmt.Errorf("delete the record of %s (%s): %w", name, record, err)
		default:
			res.RecordDeleted = true
		}
	}
	res.AttemptsForgiven, err = forgiveAttempts(conn, parent, by)
	return res, err
}

// forgiveAttempts appends a reset entry to the ledger when failed runs
// would count against --max-attempts, and returns how many.
func forgiveAttempts(conn *zk.Conn, parent, by string) (int, error) {
	for {
		l, stat, err := readLedger(conn, parent)
		if errors.Is(err, ErrUnreadableRecord) || stat == nil {
			return 0, nil // a wrapper starts an unreadable ledger afresh
		}
		if err != nil {
			return 0, err
		}
		failed := failedSinceReset(l.Runs)
		if failed == 0 {
			return 0, nil
		}
		host, _ := os.Hostname()
		now := time.Now().UTC()
		l.Runs = append(l.Runs, RunEntry{ID: fmt.Sprintf("reset-%d", now.UnixNano()), Host: host, Pid: os.Getpid(),
			Start: now, End: &now, Ending: EndReset, Reason: "reset by " + by})
		l.trim()
		data, err := l.encode()
		if err != nil {
			return 0, err
		}
		_, err = conn.Set(ledgerPath(parent), data, stat.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			continue // a run's entry went in meanwhile: judge again
		}
		if err != nil {
			return 0, fmt.Errorf("write the reset to the ledger of %s: %w", path.Base(parent), err)
		}
		return failed, nil
	}
}
