package fleet

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/zoo-locked/zoo-locked/cmd/internal/keeper"
)

// run runs the job under the held lock, its ledger entry written before
// the job starts and completed as it ends (with the slot record, for a
// successful --once-per run, in the same transaction). base is the ledger
// as read under the lock (at the grant, or for --max-attempts), or nil.
func run(cfg Config, h *held, c *keeper.Child, clock clockError, slot *slotRun, base *writtenLedger, timing *stopwatch) (Result, error) {
	host, _ := os.Hostname() // an empty host is still a valid entry
	entry := RunEntry{ID: RunID(cfg.Name, h.m.Token()), Host: host, Pid: os.Getpid(), Token: h.m.Token(), Start: clock.now()}
	if slot != nil {
		entry.SlotStart = &slot.start
	}
	// The entry is in the ledger before the job starts: a wrapper killed at
	// any moment from here on leaves an entry that reads as lost, never a
	// run the ledger does not know. Its write overlaps the keeper's start,
	// not the job.
	started, err := h.recordStart(entry, base)
	timing.lap("ledger start")
	if err != nil {
		c.Abort()
		return Result{}, fmt.Errorf("the job was not started: its run could not be entered in the ledger: %w", err)
	}
	if cfg.BeforeJob != nil {
		cfg.BeforeJob(RunInfo{Name: cfg.Name, Token: h.m.Token(), ID: entry.ID})
	}
	res := Result{Ran: true, Token: h.m.Token(), ID: entry.ID, Start: cfg.now()}
	status, ending, stoppedBy, err := supervise(cfg, h, c, entry.ID)
	res.Status, res.Ending, res.End, res.StoppedBy = status, ending, cfg.now(), stoppedBy
	timing.lap("job")
	end := clock.now()
	complete := func(e *RunEntry) {
		*e = entry
		e.End, e.Exit, e.Ending = &end, &status, ending
		switch {
		case err != nil:
			e.Reason = err.Error()
		case ending == EndStopped:
			e.Reason = "stopped by " + stoppedBy
		}
	}
	if err != nil {
		// The lock is lost: the entry is completed, unguarded, only if the
		// session still serves soon; else it stays open and reads as lost.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = h.recordEnd(entry.ID, complete, nil, false, &started, nil) // unwritten, the entry reads as lost
		}()
		select {
		case <-done:
		case <-time.After(min(2*time.Second, h.s.Timeout()/2)):
		}
		return res, err
	}
	var rec *SlotRecord
	if slot != nil && ending == EndExited && status == 0 {
		rec = &SlotRecord{Host: host, Pid: os.Getpid(), Schedule: cfg.OncePer.String(), SlotStart: slot.start, SlotEnd: slot.end,
			Fired: slot.fired, Start: entry.Start, End: end, Token: h.m.Token()}
	}
	// The tree is dead (S4): the transaction that records the end frees the
	// lock, so the next waiter is woken a round trip before our close.
	werr := h.recordEnd(entry.ID, complete, rec, true, &started, h.m.ReleaseOp())
	res.releasedWithEnd = werr == nil
	timing.lap("ledger end")
	switch {
	case werr != nil && rec != nil:
		cfg.Logger.Error("job succeeded but its run could not be recorded; another node may run it again this slot", "lock", cfg.Name, "err", werr)
	case werr != nil:
		cfg.Logger.Warn("run ledger: the run's end could not be written; it will read as lost", "lock", cfg.Name, "err", werr)
	case rec != nil:
		cfg.Logger.Info("run recorded", "lock", cfg.Name, "slot_start", rec.SlotStart.Format(time.RFC3339))
	}
	return res, nil
}

// supervise runs the child until it exits, the fence fires, the runtime
// limit is hit or an operator stops it; it returns once the whole tree is
// dead, with how the run ended and who stopped it.
func supervise(cfg Config, h *held, c *keeper.Child, runID string) (status int, ending, stoppedBy string, err error) {
	log := cfg.Logger
	err = c.Start([]string{
		"ZOOLOCKED_NAME=" + cfg.Name,
		"ZOOLOCKED_TOKEN=" + strconv.FormatInt(h.m.Token(), 10),
		"ZOOLOCKED_ZNODE=" + h.m.Node(),
		"ZOOLOCKED_SESSION=" + fmt.Sprintf("0x%x", h.s.ID()),
		"ZOOLOCKED_RUN_ID=" + runID,
	}, sessionForKeeper(cfg, h.s))
	if err != nil {
		c.KillNow()
		<-c.Exited()
		return 0, EndExited, "", err
	}
	quit := make(chan struct{})
	defer close(quit)
	stops := h.watchStop(quit)
	var runtimeLimit <-chan time.Time
	if cfg.MaxRuntime > 0 {
		timer := time.NewTimer(cfg.MaxRuntime)
		defer timer.Stop()
		runtimeLimit = timer.C
	}
	ending = EndExited
	for {
		select {
		case <-c.Exited():
			status, err := c.Result()
			if ending == EndStopped {
				h.clearStop()
			}
			return status, ending, stoppedBy, err
		case req := <-stops:
			log.Warn("stop requested; stopping the job", "lock", cfg.Name, "by", req.By)
			c.Fence()
			ending, stoppedBy = EndStopped, req.By
		case sig := <-cfg.Signals:
			log.Info("forwarding signal", "lock", cfg.Name, "signal", sig.String())
			c.Forward(sig.(syscall.Signal))
			ending = EndSignal
		case <-runtimeLimit:
			log.Warn("max runtime reached; stopping the job", "lock", cfg.Name, "max_runtime", cfg.MaxRuntime)
			c.Fence()
			ending = EndMaxRuntime
		case <-h.s.Done():
			lost := h.s.Err()
			if errors.Is(lost, lock.ErrLockGone) {
				c.KillNow()
			} else {
				c.Fence()
			}
			// Backstop: the keeper kills after the grace itself; this
			// covers a keeper that is slow to act.
			backstop := time.NewTimer(cfg.Session.KillGrace)
			select {
			case <-c.Exited():
			case <-backstop.C:
				c.KillNow()
				<-c.Exited()
			}
			backstop.Stop()
			log.Error("lock lost; job killed", "lock", cfg.Name, "token", h.m.Token(), "reason", lost)
			status, _ := c.Result() // the keeper's own failure matters less than the lost lock
			return status, EndFenced, "", lost
		}
	}
}
