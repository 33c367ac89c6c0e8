package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/go-zookeeper/zk"
)

// runRecordName is the persistent znode beside the contenders that holds
// the last successful run of a --once-per job. Being persistent, it keeps
// the lock's container parent alive, which is what a record needs.
const runRecordName = "last-run"

// RunRecord is the last successful run of a --once-per job.
type RunRecord struct {
	Host      string        `json:"host"`
	Pid       int           `json:"pid"`
	Period    time.Duration `json:"period_ns"`
	Offset    time.Duration `json:"offset_ns"`
	Slot      int64         `json:"slot"`
	SlotStart time.Time     `json:"slot_start"`
	Start     time.Time     `json:"start"`
	End       time.Time     `json:"end"`
	Token     int64         `json:"token"`
}

// Slot numbers the period slots: slot k covers [k·period + offset,
// (k+1)·period + offset) counted from the Unix epoch in UTC, so "24h" with
// offset "2h30m" runs once per day from 02:30 UTC to 02:30 UTC.
func Slot(t time.Time, period, offset time.Duration) int64 {
	d := t.UTC().Sub(time.Unix(0, 0).UTC()) - offset
	k := int64(d / period)
	if d < 0 && d%period != 0 {
		k--
	}
	return k
}

// SlotStart is when slot k begins.
func SlotStart(k int64, period, offset time.Duration) time.Time {
	return time.Unix(0, 0).UTC().Add(time.Duration(k)*period + offset)
}

func readRunRecord(conn *zk.Conn, parent string) (*RunRecord, error) {
	data, _, err := conn.Get(path.Join(parent, runRecordName))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last run of %s: %w", path.Base(parent), err)
	}
	var rec RunRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("last run of %s is not ours (%q): %w", path.Base(parent), data, err)
	}
	return &rec, nil
}

// LastRun reads the lock's last run record, or nil when there is none.
func (m *Mutex) LastRun() (*RunRecord, error) {
	return readRunRecord(m.s.Conn(), m.parent)
}

// RecordRun writes rec as the last run, atomically with a check that our
// contender still exists: a holder that lost the lock records nothing.
func (m *Mutex) RecordRun(rec RunRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	recPath := path.Join(m.parent, runRecordName)
	exists, _, err := m.s.Conn().Exists(recPath)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	ops := []any{&zk.CheckVersionRequest{Path: m.node, Version: -1}}
	if exists {
		ops = append(ops, &zk.SetDataRequest{Path: recPath, Data: data, Version: -1})
	} else {
		ops = append(ops, &zk.CreateRequest{Path: recPath, Data: data, Acl: m.acl.node})
	}
	if _, err := m.s.Conn().Multi(ops...); err != nil {
		return fmt.Errorf("record run of %s: %w", path.Base(m.parent), err)
	}
	return nil
}
