package fleet

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/zoo-locked/zoo-locked/lock/keeper"
	"github.com/zoo-locked/zoo-locked/lock/seam"
)

// run runs the job under the held lock, with its ledger entry written as
// it starts and completed as it ends (with the slot record, for a
// successful --once-per run, in the same transaction).
func run(cfg Config, h *held, c *keeper.Child, clock clockError, slot *slotRun, timing *stopwatch) (Result, error) {
	host, _ := os.Hostname() // an empty host is still a valid entry
	entry := RunEntry{ID: RunID(cfg.Name, h.m.Token()), Host: host, Pid: os.Getpid(), Token: h.m.Token(), Start: clock.now()}
	if slot != nil {
		entry.SlotStart = &slot.start
	}
	if cfg.BeforeJob != nil {
		cfg.BeforeJob(RunInfo{Name: cfg.Name, Token: h.m.Token(), ID: entry.ID})
	}
	res := Result{Ran: true, Token: h.m.Token(), ID: entry.ID, Start: seam.Now()}
	// The entry is written while the job starts: the job does not wait
	// for it, and its completion goes out behind it.
	type written struct {
		ledger writtenLedger
		err    error
	}
	started := make(chan written, 1)
	writing := make(chan writtenLedger, 1)
	go func() {
		l, err := h.recordStart(entry, func(l writtenLedger) {
			select {
			case writing <- l:
			default: // a retry: the first attempt's ledger was taken
			}
		})
		started <- written{l, err}
	}()
	status, ending, stoppedBy, err := supervise(cfg, h, c, entry.ID)
	res.Status, res.Ending, res.End, res.StoppedBy = status, ending, seam.Now(), stoppedBy
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
	var rec *SlotRecord
	if slot != nil && err == nil && ending == EndExited && status == 0 {
		rec = &SlotRecord{Host: host, Pid: os.Getpid(), Schedule: cfg.OncePer.String(), SlotStart: slot.start, SlotEnd: slot.end,
			Fired: slot.fired, Start: entry.Start, End: end, Token: h.m.Token()}
	}
	// settled is the start's answer: the base the end builds on.
	settled := func(w written) *writtenLedger {
		timing.lap("ledger start")
		if w.err != nil {
			cfg.Logger.Warn("run ledger: the run's start could not be written", "lock", cfg.Name, "err", w.err)
			return nil
		}
		return &w.ledger
	}
	startWritten := func() *writtenLedger { return settled(<-started) }
	if err != nil {
		// The lock is lost: the entry is completed, unguarded, only if the
		// session still serves soon; else it stays open and reads as lost.
		// The start's own answer may be what the lost connection keeps:
		// the wait for it is bounded alike.
		done := make(chan struct{})
		go func() {
			defer close(done)
			var base *writtenLedger
			if w := <-started; w.err == nil {
				base = &w.ledger
			}
			_ = h.recordEnd(entry.ID, complete, nil, false, base) // unwritten, the entry reads as lost
		}()
		select {
		case <-done:
		case <-time.After(min(2*time.Second, h.s.Timeout()/2)):
		}
		return res, err
	}
	var werr error
	select {
	case l := <-writing:
		// The start is on its way: the end follows it in the same
		// session's order, without waiting for its answer.
		if werr = h.endBehind(l, entry.ID, complete, rec); werr != nil {
			werr = h.recordEnd(entry.ID, complete, rec, true, startWritten())
		} else {
			startWritten()
		}
	case w := <-started:
		werr = h.recordEnd(entry.ID, complete, rec, true, settled(w))
	}
	timing.lap("ledger end")
	if werr != nil {
		if rec != nil {
			cfg.Logger.Error("job succeeded but its run could not be recorded; another node may run it again this slot", "lock", cfg.Name, "err", werr)
		} else {
			cfg.Logger.Warn("run ledger: the run's end could not be written; it will read as lost", "lock", cfg.Name, "err", werr)
		}
	} else if rec != nil {
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
	})
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
