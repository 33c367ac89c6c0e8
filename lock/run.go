package lock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Config is one zoo-locked invocation, already validated by the command.
type Config struct {
	Session     SessionConfig
	Root        string // with any chroot already prepended
	Name        string
	Command     []string
	NoWait      bool
	WaitTimeout time.Duration // 0: wait as long as it takes
	MaxRuntime  time.Duration // 0: no limit
	// Limit is how many may hold the lock at once (default 1).
	Limit int
	// OncePer > 0 runs the command at most once per slot of that length
	// (aligned to the Unix epoch in UTC, shifted by SlotOffset) across
	// everyone using the lock: see RunRecord.
	OncePer    time.Duration
	SlotOffset time.Duration
	Version    string
	Logger     *slog.Logger
	// Signals are the wrapper's TERM/INT/HUP/QUIT, forwarded to the job.
	Signals <-chan os.Signal
}

// Run takes the lock, runs the command under it, and releases the lock
// once the whole child tree is dead. It returns the child's status, or an
// error wrapping ErrUnavailable, ErrBusy, ErrLockLost or ErrUsage.
func Run(ctx context.Context, cfg Config) (int, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
		cfg.Logger = log
	}
	if cfg.Session.Logger == nil {
		cfg.Session.Logger = log
	}
	if cfg.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.WaitTimeout, fmt.Errorf("waited %v", cfg.WaitTimeout))
		defer cancel()
	}
	waitCtx, stopWaiting := context.WithCancelCause(ctx)
	defer stopWaiting(nil)
	interrupted := make(chan os.Signal, 1)
	go func() {
		select {
		case sig := <-cfg.Signals:
			interrupted <- sig
			stopWaiting(fmt.Errorf("interrupted by %v", sig))
		case <-waitCtx.Done():
		}
	}()

	// The keeper starts while we connect and contend; neither waits on
	// the other.
	prepared := make(chan error, 1)
	var child *Child
	go func() {
		var err error
		child, err = PrepareChild(ChildSpec{Argv: cfg.Command, KillGrace: cfg.Session.KillGrace})
		prepared <- err
	}()
	s, m, err := acquire(waitCtx, cfg)
	if perr := <-prepared; perr != nil {
		if s != nil {
			s.Close()
		}
		return 70, perr
	}
	if err != nil {
		child.Abort()
		select {
		case sig := <-interrupted:
			return 128 + int(sig.(syscall.Signal)), nil
		default:
		}
		return 0, err
	}
	defer s.Close()
	stopWaiting(nil)
	log.Info("acquired", "lock", cfg.Name, "token", m.Token(), "session", fmt.Sprintf("0x%x", s.ID()), "timeout", s.Timeout())
	started := time.Now()
	if cfg.OncePer > 0 {
		done, err := ranThisSlot(cfg, m, started)
		if err != nil || done {
			child.Abort()
			release(cfg, s)
			if err != nil {
				return 70, err
			}
			return 0, nil
		}
	}
	status, err := supervise(cfg, s, m, child)
	if err != nil {
		// The tree is dead; the lock is gone or going with the session.
		return status, err
	}
	if cfg.OncePer > 0 && status == 0 {
		recordRun(cfg, m, started)
	}
	release(cfg, s)
	log.Info("released", "lock", cfg.Name, "status", status)
	return status, nil
}

// release frees the lock once the child tree is dead (S4).
func release(cfg Config, s *Session) {
	if !s.Release() {
		cfg.Logger.Warn("not connected at release; the lock frees when the session expires", "lock", cfg.Name, "session_timeout", s.Timeout())
	}
}

// acquire connects and contends, starting over with a new session when a
// waiter's session is lost.
func acquire(ctx context.Context, cfg Config) (*Session, *Mutex, error) {
	for {
		s, err := Connect(ctx, cfg.Session)
		if err != nil {
			return nil, nil, err
		}
		holder := ThisProcess(cfg.Command, cfg.Version)
		holder.Limit = max(cfg.Limit, 1)
		m, err := NewMutex(s, cfg.Root, cfg.Name, max(cfg.Limit, 1), holder.Marshal(), cfg.Logger)
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		err = m.Lock(ctx, !cfg.NoWait)
		if err == nil {
			s.Guard(m.Node())
			// A lost session between the grant and now means someone else
			// may hold the lock already.
			select {
			case <-s.Done():
				err = s.Err()
			default:
				return s, m, nil
			}
		}
		s.Close()
		if !errors.Is(err, ErrLockLost) || ctx.Err() != nil {
			return nil, nil, err
		}
		cfg.Logger.Info("session lost while waiting; contending again", "lock", cfg.Name, "err", err)
	}
}

// supervise runs the child until it exits, the fence fires, or the
// runtime limit is hit; it returns once the whole tree is dead.
func supervise(cfg Config, s *Session, m *Mutex, child *Child) (int, error) {
	log := cfg.Logger
	err := child.Run([]string{
		"ZOOLOCKED_NAME=" + cfg.Name,
		"ZOOLOCKED_TOKEN=" + strconv.FormatInt(m.Token(), 10),
		"ZOOLOCKED_ZNODE=" + m.Node(),
		"ZOOLOCKED_SESSION=" + fmt.Sprintf("0x%x", s.ID()),
	})
	if err != nil {
		child.KillNow()
		<-child.Done()
		return 70, err
	}
	var runtimeLimit <-chan time.Time
	if cfg.MaxRuntime > 0 {
		timer := time.NewTimer(cfg.MaxRuntime)
		defer timer.Stop()
		runtimeLimit = timer.C
	}
	for {
		select {
		case <-child.Done():
			return child.Status(), nil
		case sig := <-cfg.Signals:
			log.Info("forwarding signal", "lock", cfg.Name, "signal", sig.String())
			child.Forward(sig.(syscall.Signal))
		case <-runtimeLimit:
			log.Warn("max runtime reached; stopping the job", "lock", cfg.Name, "max_runtime", cfg.MaxRuntime)
			child.Fence()
		case <-s.Done():
			lost := s.Err()
			if s.KillAtOnce() {
				child.KillNow()
			} else {
				child.Fence()
			}
			// Backstop: the keeper kills after the grace itself; this
			// covers a keeper that is slow to act.
			backstop := time.NewTimer(cfg.Session.KillGrace)
			select {
			case <-child.Done():
			case <-backstop.C:
				child.KillNow()
				<-child.Done()
			}
			backstop.Stop()
			log.Error("lock lost; job killed", "lock", cfg.Name, "token", m.Token(), "reason", lost)
			return child.Status(), lost
		}
	}
}

// ranThisSlot says whether a successful run already started in the slot
// that contains now; the skip is logged with who ran it and when.
func ranThisSlot(cfg Config, m *Mutex, now time.Time) (bool, error) {
	rec, err := m.LastRun()
	if err != nil || rec == nil {
		return false, err
	}
	slot := Slot(now, cfg.OncePer, cfg.SlotOffset)
	if Slot(rec.Start, cfg.OncePer, cfg.SlotOffset) != slot {
		return false, nil
	}
	cfg.Logger.Info("already ran in this slot; skipping", "lock", cfg.Name, "node", rec.Host, "pid", rec.Pid,
		"started", rec.Start.Format(time.RFC3339), "ended", rec.End.Format(time.RFC3339),
		"slot_start", SlotStart(slot, cfg.OncePer, cfg.SlotOffset).Format(time.RFC3339))
	return true, nil
}

// recordRun writes the successful run while we still hold the lock. If it
// fails, the run happened but is not on record: another node may run the
// job again in this slot (at-least-once, as documented).
func recordRun(cfg Config, m *Mutex, started time.Time) {
	host, _ := os.Hostname() // an empty host is still a valid record
	slot := Slot(started, cfg.OncePer, cfg.SlotOffset)
	rec := RunRecord{Host: host, Pid: os.Getpid(), Period: cfg.OncePer, Offset: cfg.SlotOffset, Slot: slot,
		SlotStart: SlotStart(slot, cfg.OncePer, cfg.SlotOffset), Start: started.UTC(), End: time.Now().UTC(), Token: m.Token()}
	if err := m.RecordRun(rec); err != nil {
		cfg.Logger.Error("job succeeded but its run could not be recorded; another node may run it again this slot", "lock", cfg.Name, "err", err)
		return
	}
	cfg.Logger.Info("run recorded", "lock", cfg.Name, "slot_start", rec.SlotStart.Format(time.RFC3339))
}
