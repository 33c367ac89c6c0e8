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
	// SignalAtGrant is a test hook: when set, the wrapper sends itself
	// this signal right after the grant, where the wait for the lock is
	// still listening for signals, and waits until the wait has taken it.
	SignalAtGrant syscall.Signal
}

// Result is how a wrapped run ended, for the command's exit code.
type Result struct {
	// Ran says the job was started; Status is then its exit code, or
	// 128+n when signal n killed it.
	Ran    bool
	Status int
	// SlotDone says a --once-per run was skipped: its slot already ran.
	SlotDone bool
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
	cfg.Logger.Info("acquired", "lock", cfg.Name, "token", m.Token(), "session", fmt.Sprintf("0x%x", s.ID()), "timeout", s.Timeout())
	clock := ensembleClock(cfg, m)
	var slot slotRun
	if cfg.OncePer != nil {
		slot = slotRun{fired: clock.onEnsemble(cfg.Fired)}
		slot.start, slot.end = slotOf(cfg.OncePer, slot.fired)
		done, err := ranThisSlot(cfg, m, slot)
		if err != nil || done {
			c.abort()
			releaseLock(cfg, s)
			return Result{SlotDone: done}, err
		}
	}
	started := cfg.Clock()
	status, err := supervise(cfg, s, m, c)
	if err != nil {
		// The tree is dead; the lock is gone or going with the session.
		return Result{Ran: true, Status: status}, err
	}
	if cfg.OncePer != nil && status == 0 {
		recordRun(cfg, m, slot, clock, started)
	}
	releaseLock(cfg, s)
	cfg.Logger.Info("released", "lock", cfg.Name, "status", status)
	return Result{Ran: true, Status: status}, nil
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
// runtime limit is hit; it returns once the whole tree is dead.
func supervise(cfg Config, s *Session, m *Mutex, c *child) (int, error) {
	log := cfg.Logger
	err := c.start([]string{
		"ZOOLOCKED_NAME=" + cfg.Name,
		"ZOOLOCKED_TOKEN=" + strconv.FormatInt(m.Token(), 10),
		"ZOOLOCKED_ZNODE=" + m.Node(),
		"ZOOLOCKED_SESSION=" + fmt.Sprintf("0x%x", s.ID()),
	})
	if err != nil {
		c.killNow()
		<-c.exited()
		return 0, err
	}
	var runtimeLimit <-chan time.Time
	if cfg.MaxRuntime > 0 {
		timer := time.NewTimer(cfg.MaxRuntime)
		defer timer.Stop()
		runtimeLimit = timer.C
	}
	for {
		select {
		case <-c.exited():
			return c.result()
		case sig := <-cfg.Signals:
			log.Info("forwarding signal", "lock", cfg.Name, "signal", sig.String())
			c.forward(sig.(syscall.Signal))
		case <-runtimeLimit:
			log.Warn("max runtime reached; stopping the job", "lock", cfg.Name, "max_runtime", cfg.MaxRuntime)
			c.fence()
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
			return status, lost
		}
	}
}
