package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

// The slot record holds the last successful run of a --once-per job,
// among the lock's records (recordsPath).

// oldSlotRecordName is where releases before that kept the record, under
// the lock path; it is read until the first run writes the new one.
const oldSlotRecordName = "last-run"

func slotRecordPath(lockPath string) string { return recordsPath(lockPath) + "/last-run" }

// SlotRecord is the last successful run of a --once-per job.
type SlotRecord struct {
	Host string `json:"host"`
	Pid  int    `json:"pid"`
	// Schedule is the schedule the run was made under (Schedule.String).
	Schedule  string    `json:"schedule"`
	SlotStart time.Time `json:"slot_start"`
	SlotEnd   time.Time `json:"slot_end"`
	// Fired, Start and End are on the ensemble's clock: when cron fired the
	// wrapper that ran, when the job started, when it ended.
	Fired time.Time `json:"fired"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Token int64     `json:"token"`
	// Period and Offset are how records before schedules said it.
	Period time.Duration `json:"period_ns,omitempty"`
	Offset time.Duration `json:"offset_ns,omitempty"`
}

// schedule is the schedule the record was made under.
func (r *SlotRecord) schedule() string {
	if r.Schedule == "" && r.Period > 0 {
		return schedule.Every{Period: r.Period, Offset: r.Offset}.String()
	}
	return r.Schedule
}

// readSlotRecord returns the record, nil when there is none, or an error
// wrapping ErrUnreadableRecord when the znode holds something else.
func readSlotRecord(conn *zk.Conn, parent string) (*SlotRecord, error) {
	recPath := slotRecordPath(parent)
	data, _, err := conn.Get(recPath)
	if errors.Is(err, zk.ErrNoNode) {
		recPath = path.Join(parent, oldSlotRecordName)
		data, _, err = conn.Get(recPath)
	}
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last run of %s: %w", path.Base(parent), err)
	}
	var rec SlotRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.schedule() == "" {
		return nil, fmt.Errorf("%w: %s holds %d bytes that are not a zoo-locked record (%.40q)", ErrUnreadableRecord,
			recPath, len(data), data)
	}
	return &rec, nil
}

// lastRun reads the lock's last run record, or nil when there is none.
func (h *held) lastRun() (*SlotRecord, error) {
	return readThrough(h, "read the slot record", readSlotRecord)
}

// slotRecordOp is the write of rec as the last run, for a transaction:
// a create the first time, a set after.
func (h *held) slotRecordOp(rec SlotRecord) (any, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	recPath := slotRecordPath(h.parent)
	var exists bool
	err = h.s.Retry(context.Background(), "find the slot record", func() (err error) {
		exists, _, err = h.s.Conn().Exists(recPath)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record run: %w", err)
	}
	if exists {
		return &zk.SetDataRequest{Path: recPath, Data: data, Version: -1}, nil
	}
	return &zk.CreateRequest{Path: recPath, Data: data, Acl: h.nodeACL}, nil
}

// slotRun is the slot a --once-per firing belongs to.
type slotRun struct {
	fired      time.Time // on the ensemble's clock
	start, end time.Time
}

// slotJudgement is what the slot record says of a firing's slot.
type slotJudgement int

const (
	slotDue           slotJudgement = iota // no run for this slot yet: run
	slotDone                               // this slot, or a later one, ran: skip
	slotOtherSchedule                      // recorded under another schedule: run
	slotAhead                              // names a slot not begun yet: refuse
)

// judgeSlot compares the record with the firing's slot, now being the
// ensemble's time. A record never moves back: one for a later slot than
// the firing's makes it skip like one for its own (a firing that waited
// long for the lock is late, not due). One for a slot that has not begun
// even allowing the lead was written by a clock that ran ahead.
func judgeSlot(rec *SlotRecord, schedule string, slot slotRun, now time.Time) slotJudgement {
	switch {
	case rec == nil:
		return slotDue
	case rec.schedule() != schedule:
		return slotOtherSchedule
	case rec.SlotStart.Sub(now) > slotLead(rec.SlotStart, rec.SlotEnd):
		return slotAhead
	case rec.SlotStart.Before(slot.start):
		return slotDue
	}
	return slotDone
}

// ranThisSlot says whether a successful run already started in the
// firing's slot or a later one; the skip is logged with who ran it and
// when. A record made under another schedule is reported and never makes a
// run skip. A record for a slot still ahead refuses, with the fix.
func ranThisSlot(cfg Config, h *held, slot slotRun, now time.Time) (bool, error) {
	rec, err := h.lastRun()
	if errors.Is(err, ErrUnreadableRecord) {
		return false, fmt.Errorf("%w; cannot tell whether this slot ran", err)
	}
	if err != nil {
		return false, err
	}
	if cfg.Unsafe.TrustEnsembleClock && rec != nil && rec.schedule() == cfg.OncePer.String() {
		// The unsafe seam restores the old judgement: only the very slot skips.
		return rec.SlotStart.Equal(slot.start), nil
	}
	switch judgeSlot(rec, cfg.OncePer.String(), slot, now) {
	case slotDue:
		return false, nil
	case slotOtherSchedule:
		cfg.Logger.Warn("the last run was recorded under another schedule; running", "lock", cfg.Name,
			"recorded_schedule", rec.schedule(), "schedule", cfg.OncePer.String())
		return false, nil
	case slotAhead:
		return false, fmt.Errorf("%w: the record of %s names the slot from %s, which has not begun on the ensemble's clock (now %s): a clock that ran ahead wrote it; "+
			"nothing runs until then. To run sooner, clear it with: zoo-locked reset %s",
			ErrClockDisagrees, cfg.Name, rec.SlotStart.Format(time.RFC3339), now.Format(time.RFC3339), cfg.Name)
	}
	cfg.Logger.Info("already ran in this slot; skipping", "lock", cfg.Name, "node", rec.Host, "pid", rec.Pid,
		"started", rec.Start.Format(time.RFC3339), "ended", rec.End.Format(time.RFC3339),
		"slot_start", slot.start.Format(time.RFC3339), "recorded_slot_start", rec.SlotStart.Format(time.RFC3339))
	return true, nil
}
