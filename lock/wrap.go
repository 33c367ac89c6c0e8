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
	// OncePer, when set, runs the command at most once per slot of the
	// schedule across everyone using the lock: see SlotRecord.
	OncePer Schedule
	Version string
	Logger  *slog.Logger
	// Signals are the wrapper's TERM/INT/HUP/QUIT, forwarded to the job.
	Signals <-chan os.Signal
	// Clock reads this host's wall clock (default time.Now); tests skew it.
	Clock func() time.Time
	// Fired is when cron fired the wrapper, on Clock (default: when Wrap
	// was called): a --once-per firing is judged from it, not from the end
	// of a splay or a wait.
	Fired time.Time
	// BeforeJob, when set, is called under the lock just before the job
	// starts (the command sends its start ping there); the job waits for
	// it.
	BeforeJob func(RunInfo)
	// SignalAtGrant is a test hook: when set, the wrapper sends itself
	// this signal right after the grant, where the wait for the lock is
	// still listening for signals, and waits until the wait has taken it.
	SignalAtGrant syscall.Signal
}

// Result is how a wrapped run ended, for the command's exit code, pings
// and metrics.
type Result struct {
	// Ran says the job was started; Status is then its exit code, or
	// 128+n when signal n killed it, and Ending says how it ended
	// (EndExited, EndFenced, EndMaxRuntime, EndSignal).
	Ran    bool
	Status int
	Ending string
	// SlotDone says a --once-per run was skipped: its slot already ran.
	SlotDone bool
	// Token and ID are the run's fencing token and run id.
	Token int64
	ID    string
	// Start and End are when the job started and ended, on Config.Clock.
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
// once the whole child tree is dead. Its error wraps ErrUnavailable,
// ErrBusy, ErrLockLost, ErrUsage, ErrInternal or ErrUnreadableRecord, or is
// an *InterruptedError when a signal ended the wait.
func Wrap(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Session.Logger == nil {
		cfg.Session.Logger = cfg.Logger
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Fired.IsZero() {
		cfg.Fired = cfg.Clock()
	}
	if cfg.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.WaitTimeout, fmt.Errorf("waited %v", cfg.WaitTimeout))
		defer cancel()
	}
	w := watchWait(ctx, cfg.Signals)
	waitStart := time.Now()

	// The keeper starts while we connect and contend; neither waits on
	// the other.
	prepared := make(chan error, 1)
	var c *child
	go func() {
		var err error
		c, err = prepareChild(cfg.Command, cfg.Session.KillGrace)
		prepared <- err
	}()
	s, m, err := acquire(w.ctx, cfg)
	if err == nil && cfg.SignalAtGrant != 0 {
		w.deliverForTest(cfg.SignalAtGrant)
	}
	sig := w.stop()
	if perr := <-prepared; perr != nil {
		if s != nil {
			s.Close()
		}
		return Result{}, perr
	}
	if err == nil && sig != 0 {
		// Granted, but told to stop before the job started: it never runs.
		releaseLock(cfg, s)
		err = &InterruptedError{Signal: sig}
	}
	if err != nil {
		c.abort()
		if sig != 0 {
			return Result{}, &InterruptedError{Signal: sig}
		}
		return Result{}, err
	}
	defer s.Close()
	waited := time.Since(waitStart)
	cfg.Logger.Info("acquired", "lock", cfg.Name, "token", m.Token(), "session", fmt.Sprintf("0x%x", s.ID()), "timeout", s.Timeout())
	clock := ensembleClock(cfg, m)
	var slot *slotRun
	if cfg.OncePer != nil {
		slot = &slotRun{fired: clock.onEnsemble(cfg.Fired)}
		slot.start, slot.end = slotOf(cfg.OncePer, slot.fired)
		done, err := ranThisSlot(cfg, m, *slot)
		if err != nil || done {
			c.abort()
			releaseLock(cfg, s)
			return Result{SlotDone: done, Waited: waited}, err
		}
	}
	res, err := run(cfg, s, m, c, clock, slot)
	res.Waited = waited
	if err != nil {
		// The tree is dead; the lock is gone or going with the session.
		return res, err
	}
	releaseLock(cfg, s)
	cfg.Logger.Info("released", "lock", cfg.Name, "status", res.Status)
	return res, nil
}

// run runs the job under the held lock, with its ledger entry written as
// it starts and completed as it ends (with the slot record, for a
// successful --once-per run, in the same transaction).
func run(cfg Config, s *Session, m *Mutex, c *child, clock clockError, slot *slotRun) (Result, error) {
	host, _ := os.Hostname() // an empty host is still a valid entry
	entry := RunEntry{ID: RunID(cfg.Name, m.Token()), Host: host, Pid: os.Getpid(), Token: m.Token(), Start: clock.now()}
	if slot != nil {
		entry.SlotStart = &slot.start
	}
	if cfg.BeforeJob != nil {
		cfg.BeforeJob(RunInfo{Name: cfg.Name, Token: m.Token(), ID: entry.ID})
	}
	res := Result{Ran: true, Token: m.Token(), ID: entry.ID, Start: cfg.Clock()}
	// The entry is written while the job starts: the job does not wait
	// for it, and its completion waits for it.
	started := make(chan error, 1)
	go func() { started <- m.recordStart(entry) }()
	status, ending, err := supervise(cfg, s, m, c)
	res.Status, res.Ending, res.End = status, ending, cfg.Clock()
	if serr := <-started; serr != nil {
		cfg.Logger.Warn("run ledger: the run's start could not be written", "lock", cfg.Name, "err", serr)
	}
	end := clock.now()
	complete := func(e *RunEntry) {
		*e = entry
		e.End, e.Exit, e.Ending = &end, &status, ending
		if err != nil {
			e.Reason = err.Error()
		}
	}
	var rec *SlotRecord
	if slot != nil && err == nil && ending == EndExited && status == 0 {
		rec = &SlotRecord{Host: host, Pid: os.Getpid(), Schedule: cfg.OncePer.String(), SlotStart: slot.start, SlotEnd: slot.end,
			Fired: slot.fired, Start: entry.Start, End: end, Token: m.Token()}
	}
	if err != nil {
		// The lock is lost: the entry is completed, unguarded, only if the
		// session still serves soon; else it stays open and reads as lost.
		done := make(chan error, 1)
		go func() { done <- m.recordEnd(entry.ID, complete, nil, false) }()
		select {
		case <-done:
		case <-time.After(min(2*time.Second, s.Timeout()/2)):
		}
		return res, err
	}
	if werr := m.recordEnd(entry.ID, complete, rec, true); werr != nil {
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

// waitWatch ends the wait for the lock on the first signal. It is the only
// reader of the signals until stop, and stop says whether it took one: a
// signal that lands between the grant and the end of the wait must stop
// the job from starting, not vanish.
type waitWatch struct {
	ctx         context.Context
	stopWaiting context.CancelCauseFunc
	taken       chan syscall.Signal
	done        chan struct{}
}

func watchWait(ctx context.Context, signals <-chan os.Signal) *waitWatch {
	w := &waitWatch{taken: make(chan syscall.Signal, 1), done: make(chan struct{})}
	w.ctx, w.stopWaiting = context.WithCancelCause(ctx)
	go func() {
		defer close(w.done)
		select {
		case sig := <-signals:
			w.taken <- sig.(syscall.Signal)
			w.stopWaiting(&InterruptedError{Signal: sig.(syscall.Signal)})
		case <-w.ctx.Done():
		}
	}()
	return w
}

// stop ends the watch and returns the signal it took, or 0.
func (w *waitWatch) stop() syscall.Signal {
	w.stopWaiting(nil)
	<-w.done
	select {
	case sig := <-w.taken:
		return sig
	default:
		return 0
	}
}

func (w *waitWatch) deliverForTest(sig syscall.Signal) {
	_ = syscall.Kill(os.Getpid(), sig) // to ourselves: cannot fail
	select {
	case <-w.ctx.Done():
	case <-time.After(2 * time.Second):
	}
}

// releaseLock frees the lock once the child tree is dead (S4).
func releaseLock(cfg Config, s *Session) {
	if !s.release() {
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
		holder := thisProcess(cfg.Command, cfg.Version, cfg.Clock())
		holder.Limit = max(cfg.Limit, 1)
		m, err := NewMutex(s, MutexConfig{
			Root: cfg.Root, Name: cfg.Name, Limit: cfg.Limit, Data: holder.marshal(),
			Logger: cfg.Logger, EndsSession: true, Clock: cfg.Clock,
		})
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		if cfg.NoWait {
			err = m.TryLock(ctx)
		} else {
			err = m.Lock(ctx)
		}
		if err == nil {
			s.guard(m.Node(), m.Granted())
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
// runtime limit is hit; it returns once the whole tree is dead, with how
// the run ended.
func supervise(cfg Config, s *Session, m *Mutex, c *child) (int, string, error) {
	log := cfg.Logger
	err := c.start([]string{
		"ZOOLOCKED_NAME=" + cfg.Name,
		"ZOOLOCKED_TOKEN=" + strconv.FormatInt(m.Token(), 10),
		"ZOOLOCKED_ZNODE=" + m.Node(),
		"ZOOLOCKED_SESSION=" + fmt.Sprintf("0x%x", s.ID()),
		"ZOOLOCKED_RUN_ID=" + RunID(cfg.Name, m.Token()),
	})
	if err != nil {
		c.killNow()
		<-c.exited()
		return 0, EndExited, err
	}
	var runtimeLimit <-chan time.Time
	if cfg.MaxRuntime > 0 {
		timer := time.NewTimer(cfg.MaxRuntime)
		defer timer.Stop()
		runtimeLimit = timer.C
	}
	ending := EndExited
	for {
		select {
		case <-c.exited():
			status, err := c.result()
			return status, ending, err
		case sig := <-cfg.Signals:
			log.Info("forwarding signal", "lock", cfg.Name, "signal", sig.String())
			c.forward(sig.(syscall.Signal))
			ending = EndSignal
		case <-runtimeLimit:
			log.Warn("max runtime reached; stopping the job", "lock", cfg.Name, "max_runtime", cfg.MaxRuntime)
			c.fence()
			ending = EndMaxRuntime
		case <-s.Done():
			lost := s.Err()
			if errors.Is(lost, ErrLockGone) {
				c.killNow()
			} else {
				c.fence()
			}
			// Backstop: the keeper kills after the grace itself; this
			// covers a keeper that is slow to act.
			backstop := time.NewTimer(cfg.Session.KillGrace)
			select {
			case <-c.exited():
			case <-backstop.C:
				c.killNow()
				<-c.exited()
			}
			backstop.Stop()
			log.Error("lock lost; job killed", "lock", cfg.Name, "token", m.Token(), "reason", lost)
			status, _ := c.result() // the keeper's own failure matters less than the lost lock
			return status, EndFenced, lost
		}
	}
}
