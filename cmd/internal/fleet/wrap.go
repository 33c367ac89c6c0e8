package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/zktls"
	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/zoo-locked/zoo-locked/cmd/internal/keeper"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

// Config is one zoo-locked invocation, already validated by the command.
type Config struct {
	Session lock.SessionConfig
	// TLSFiles name the PEM files Session.TLS was loaded from, for the
	// keeper, which must reach the servers as the wrapper does to end its
	// session after a crash.
	TLSFiles    zktls.Files
	Unsafe      Unsafe // test seams; zero in production
	Root        string // with any chroot already prepended
	Name        string
	Command     []string
	NoWait      bool
	WaitTimeout time.Duration // 0: wait as long as it takes
	MaxRuntime  time.Duration // 0: no limit
	// Limit is how many may hold the lock at once (default 1).
	Limit int
	// Contenders says which children of the lock path queue for it.
	Contenders lock.Contenders
	// ContenderStyle names this wrapper's contender for the other recipe
	// on a shared path (kazoo's default Lock counts only its own form).
	ContenderStyle lock.ContenderStyle
	// OncePer, when set, runs the command at most once per slot of the
	// schedule across everyone using the lock: see SlotRecord.
	OncePer schedule.Schedule
	// MaxAttempts, with OncePer, bounds the failed runs of one slot across
	// the fleet (counted in the ledger); after them, firings skip until the
	// next slot. 0: no bound.
	MaxAttempts int
	Version     string
	Logger      *slog.Logger
	// Signals are the wrapper's TERM/INT/HUP/QUIT, forwarded to the job.
	Signals <-chan os.Signal
	// Fired is when cron fired the wrapper, on this host's clock (Config.now; default: when Wrap
	// was called): a --once-per firing is judged from it, not from the end
	// of a splay or a wait.
	Fired time.Time
	// BeforeJob, when set, is called under the lock just before the job
	// starts (the command sends its start ping there); the job waits for
	// it.
	BeforeJob func(RunInfo)
	// JobStdout and JobStderr, when set, are where the job writes instead
	// of the wrapper's own stdout and stderr (the command tees them to
	// keep the tail for its ping).
	JobStdout, JobStderr *os.File
}

// Result is how a wrapped run ended, for the command's exit code, pings
// and metrics.
type Result struct {
	// Ran says the job was started; Status is then its exit code, or
	// 128+n when signal n killed it, and Ending says how it ended
	// (EndExited, EndFenced, EndMaxRuntime, EndSignal, EndStopped).
	Ran    bool
	Status int
	Ending string
	// SlotDone says a --once-per run was skipped: its slot already ran.
	SlotDone bool
	// Paused is the pause a firing found, and skipped for.
	Paused *Pause
	// OutOfAttempts, when set, is how many runs of the slot failed: the
	// firing skipped, --max-attempts spent.
	OutOfAttempts int
	// ClockRefused says the firing ran nothing because this host's clock
	// and the ensemble's disagree beyond ClockBound.
	ClockRefused bool
	// releasedWithEnd says the transaction that recorded the run's end
	// freed the lock: the close that follows has nothing left to delete.
	releasedWithEnd bool
	// StoppedBy names who stopped the run (`zoo-locked stop`); Ending is
	// then EndStopped.
	StoppedBy string
	// Token and ID are the run's fencing token and run id.
	Token int64
	ID    string
	// Start and End are when the job started and ended, on this host's clock (Config.now).
	Start, End time.Time
	// Waited is how long the wrapper waited for the lock.
	Waited time.Duration
}

// RunInfo is what the command learns of a run about to start.
type RunInfo struct {
	Name  string
	Token int64
	ID    string // RunID(Name, Token)
}

// Wrap takes the lock, runs the command under it, and releases the lock
// once the whole child tree is dead. Its error wraps lock.ErrUnavailable,
// lock.ErrBusy, lock.ErrLockLost, lock.ErrUsage, ErrInternal or ErrUnreadableRecord, or is
// an *InterruptedError when a signal ended the wait.
func Wrap(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Session.Logger == nil {
		cfg.Session.Logger = cfg.Logger
	}
	if cfg.Fired.IsZero() {
		cfg.Fired = cfg.now()
	}
	if cfg.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.WaitTimeout, fmt.Errorf("waited %v", cfg.WaitTimeout))
		defer cancel()
	}
	w := watchWait(ctx, cfg.Signals)
	waitStart := time.Now()
	timing := newStopwatch()

	// The keeper starts while we connect and contend; neither waits on
	// the other.
	prepared := make(chan error, 1)
	var c *keeper.Child
	go func() {
		var err error
		c, err = keeper.Prepare(cfg.Command, cfg.Session.KillGrace, cfg.JobStdout, cfg.JobStderr)
		prepared <- err
	}()
	s, h, err := acquire(w.ctx, cfg, timing)
	// Read under the lock, while the keeper may still be starting.
	type pauseRead struct {
		p   *Pause
		err error
	}
	paused := make(chan pauseRead, 1)
	atGrant := make(chan *writtenLedger, 1)
	if err == nil {
		go func() {
			p, err := h.pauseOf()
			paused <- pauseRead{p, err}
		}()
		// A firing that may skip for its slot reads no ledger it may not
		// write; one that runs unless paused reads it now, in the pause's
		// round trip instead of one of its own before the job.
		if cfg.OncePer == nil {
			go func() { atGrant <- h.ledgerAtGrant() }()
		} else {
			atGrant <- nil
		}
	}
	if err == nil && cfg.Unsafe.SignalAtGrant != 0 {
		w.deliverForTest(cfg.Unsafe.SignalAtGrant)
	}
	sig := w.stop()
	perr := <-prepared
	timing.lap("keeper ready")
	if perr != nil {
		if s != nil {
			s.Close()
		}
		return Result{}, perr
	}
	if err == nil && sig != 0 {
		// Granted, but told to stop before the job started: it never runs.
		releaseLock(cfg, s, false)
		err = &InterruptedError{Signal: sig}
	}
	if err != nil {
		c.Abort()
		if sig != 0 {
			return Result{}, &InterruptedError{Signal: sig}
		}
		return Result{}, err
	}
	defer s.Close()
	waited := time.Since(waitStart)
	cfg.Logger.Info("acquired", "lock", cfg.Name, "token", h.m.Token(), "session", fmt.Sprintf("0x%x", s.ID()), "timeout", s.Timeout())
	clock := ensembleClock(cfg, h)
	// skip ends a firing that does not run the job: the keeper told to
	// exit, the lock released.
	skip := func(res Result, err error) (Result, error) {
		c.Abort()
		releaseLock(cfg, s, false)
		res.Waited = waited
		return res, err
	}
	pause := <-paused
	timing.lap("pause")
	if pause.err != nil {
		return skip(Result{}, pause.err)
	}
	base := <-atGrant // nil for a --once-per firing
	var slot *slotRun
	if cfg.OncePer != nil {
		slot = &slotRun{fired: clock.onEnsemble(cfg.Fired)}
		slot.start, slot.end = slotOf(cfg.OncePer, slot.fired)
	}
	adm, err := admit(firingFacts{
		pause: pause.p, now: clock.now(), oncePer: cfg.OncePer != nil, maxAttempts: cfg.MaxAttempts,
		clocksDisagree: needsClock(cfg, pause.p) && clock.disagrees() && !cfg.Unsafe.TrustEnsembleClock,
		ranThisSlot: func() (bool, error) {
			defer timing.lap("slot record")
			return ranThisSlot(cfg, h, *slot, clock.now())
		},
		failedInSlot: func() (int, error) {
			defer timing.lap("attempts")
			failed, read, err := h.failedInSlot(slot.start)
			base = read
			return failed, err
		},
	})
	switch {
	case err != nil:
		return skip(Result{}, err)
	case adm.skip == skipClock:
		err := refuseForClocks(cfg, h, clock)
		timing.lap("refusal")
		return skip(Result{ClockRefused: true}, err)
	case adm.skip == skipPaused:
		p := pause.p
		cfg.Logger.Info("paused; skipping", "lock", cfg.Name, "by", p.By, "since", p.Since.Format(time.RFC3339), "reason", p.Reason, "until", p.EndsAt(),
			"fix", "zoo-locked resume "+cfg.Name)
		return skip(Result{Paused: p}, nil)
	case adm.skip == skipSlotDone:
		return skip(Result{SlotDone: true}, nil)
	case adm.skip == skipAttempts:
		cfg.Logger.Warn("this slot failed --max-attempts times; skipping until the next, or until reset", "lock", cfg.Name,
			"attempts", adm.failed, "slot_start", slot.start.Format(time.RFC3339), "fix", "zoo-locked reset "+cfg.Name)
		return skip(Result{OutOfAttempts: adm.failed}, nil)
	}
	if base == nil {
		// A --once-per firing reads the ledger once it knows it runs.
		base = asBase(readLedger(h.s.Conn(), h.parent))
	}
	if cfg.Limit <= 1 && base != nil && base.l.latestUnended() {
		if err := awaitLockDelay(cfg, s); err != nil {
			return skip(Result{}, err)
		}
		timing.lap("lock-delay")
	}
	res, err := run(cfg, h, c, clock, slot, base, timing)
	res.Waited = waited
	if err != nil {
		// The tree is dead (or never started); the lock is gone or going
		// with the session.
		timing.log(cfg.Logger, cfg.Name)
		return res, err
	}
	releaseLock(cfg, s, res.releasedWithEnd)
	timing.lap("release")
	timing.log(cfg.Logger, cfg.Name)
	cfg.Logger.Info("released", "lock", cfg.Name, "status", res.Status)
	return res, nil
}

// releaseLock frees the lock once the child tree is dead (S4), the one
// way every granted firing lets go: by ending the session, whose close
// deletes our contender in the same transaction, one quorum write fewer
// than a delete followed by the close. Where the run's end already freed
// it (releasedWithEnd), the close has nothing left to delete. Without a
// server to take the close, the lock frees when the session expires.
func releaseLock(cfg Config, s *lock.Session, releasedWithEnd bool) {
	if releasedWithEnd {
		s.Close()
		return
	}
	connected := s.Connected()
	s.Close()
	if !connected {
		cfg.Logger.Warn("not connected at release; the lock frees when the session expires", "lock", cfg.Name, "session_timeout", s.Timeout())
	}
}

// acquire connects and contends, starting over with a new session when a
// waiter's session is lost.
func acquire(ctx context.Context, cfg Config, timing *stopwatch) (*lock.Session, *held, error) {
	for {
		s, err := lock.Connect(ctx, cfg.Session)
		if err != nil {
			return nil, nil, err
		}
		timing.lap("connect")
		holder := thisProcess(cfg.Command, cfg.Version, cfg.now())
		holder.Limit = max(cfg.Limit, 1)
		m, err := lock.NewMutex(s, lock.MutexConfig{
			Root: cfg.Root, Name: cfg.Name, Limit: cfg.Limit, Data: holder.marshal(),
			Logger: cfg.Logger, Contenders: cfg.Contenders, Style: cfg.ContenderStyle,
		})
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		err = m.LockOrClose(ctx, !cfg.NoWait)
		timing.lap("contend")
		if err == nil {
			// A lost session between the grant and now means someone else
			// may hold the lock already.
			select {
			case <-s.Done():
				err = s.Err()
			default:
				return s, hold(s, m), nil
			}
		}
		s.Close()
		if !errors.Is(err, lock.ErrLockLost) || ctx.Err() != nil {
			return nil, nil, err
		}
		cfg.Logger.Info("session lost while waiting; contending again", "lock", cfg.Name, "err", err)
	}
}
