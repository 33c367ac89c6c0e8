package keeper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"golang.org/x/sys/unix"
)

// Arg, as the first argument, turns the zoo-locked binary into the
// keeper: the small process between the wrapper and the job that owns the
// job's whole tree. The wrapper starts it with a parent-death signal, so
// even a SIGKILLed wrapper makes the keeper kill the tree (S3 in docs/DESIGN.md); as a
// child subreaper it inherits every orphaned descendant, so "no child left"
// means "the tree is dead" (S4).
const Arg = "--zoo-locked-keeper"

// keeperRun is the last line the wrapper sends on fd 3 once it holds the
// lock; the lines before it are the job's extra environment, and perhaps
// one sessionLine.
const keeperRun = "run"

// sessionLine prefixes the line that carries what ends the wrapper's
// session (zkclose.Session, encoded); no environment line has a space
// before its "=".
const sessionLine = "zk-session "

// Signals the wrapper sends the keeper.
const (
	sigFence   = syscall.SIGUSR1 // SIGTERM the tree, SIGKILL after the grace
	sigKillNow = syscall.SIGUSR2 // SIGKILL the tree now; also the parent-death signal
)

// KeeperMain is the keeper's main: args are parent pid, kill grace, then
// the job's argv. It returns the job's status (its exit code, or 128+n
// when signal n killed it), or an error wrapping ErrNotFound,
// ErrNotExecutable or ErrFailed when the job could not be started.
func Main(args []string) (int, error) {
	if len(args) < 3 {
		return 0, fmt.Errorf("%w: the keeper is for zoo-locked's internal use only", ErrFailed)
	}
	parent, _ := strconv.Atoi(args[0])
	grace, err := time.ParseDuration(args[1])
	if err != nil {
		return 0, fmt.Errorf("%w: keeper grace %q: %v", ErrFailed, args[1], err)
	}
	argv := args[2:]
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, sigFence, sigKillNow, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("%w: keeper: become subreaper: %v", ErrFailed, err)
	}
	// The wrapper may have died before the death signal was armed.
	if os.Getppid() != parent {
		return 0, fmt.Errorf("%w: keeper: the wrapper died before the job started", ErrFailed)
	}
	// Resolved while the wrapper still contends: the PATH search is then
	// off the path from grant to job.
	path, lookErr := exec.LookPath(argv[0])
	env, session, ok := awaitRun(signals)
	if !ok {
		return 0, nil // the lock was never ours: nothing to run
	}
	if lookErr != nil {
		return 0, startError(argv[0], lookErr)
	}
	// syscall.ForkExec, not os/exec: a Go program's first os/exec start
	// probes pidfd support with a throwaway child, a process start the
	// keeper, which reaps with wait4, has no use for.
	job, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   append(os.Environ(), env...),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, startError(argv[0], err)
	}
	k := &keeper{self: os.Getpid(), job: job, grace: grace, status: -1}
	reaped := make(chan reapEvent, 64)
	go reap(reaped)
	var killAt <-chan time.Time
	var leftovers <-chan time.Time
	for {
		select {
		case ev := <-reaped:
			switch {
			case ev.last:
				// No child left: as subreaper we inherit every orphan, so
				// the whole tree is gone.
				return k.exitStatus(), nil
			case ev.pid == k.job:
				k.status = ev.status
				// Usually "no child left" follows at once; if not, the job
				// left processes behind, and they die with it: the lock is
				// released only after the whole tree is gone.
				leftovers = time.After(20 * time.Millisecond)
			}
		case <-leftovers:
			k.terminate(signals)
			return k.collect(reaped), nil
		case sig := <-signals:
			switch sig {
			case sigKillNow:
				k.killAll()
				status := k.collect(reaped)
				k.releaseDeadWrappersLock(parent, session)
				return status, nil
			case sigFence:
				k.terminate(signals)
				return k.collect(reaped), nil
			default:
				// Forwarded to the job's group; SIGKILL after the grace.
				_ = syscall.Kill(-k.job, sig.(syscall.Signal)) // ESRCH: group already gone
				if killAt == nil {
					killAt = time.After(grace)
				}
			}
		case <-killAt:
			k.killAll()
			return k.collect(reaped), nil
		}
	}
}

// awaitRun waits for the wrapper's go-ahead on fd 3 and returns the job's
// extra environment and the session line's payload, if one came; false
// when the wrapper gave up or died first.
func awaitRun(signals <-chan os.Signal) (env []string, session string, ok bool) {
	lines := make(chan []string, 1)
	go func() {
		b, _ := io.ReadAll(os.NewFile(3, "go")) // EOF or error both end the wait
		lines <- strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}()
	for {
		select {
		case l := <-lines:
			if len(l) == 0 || l[len(l)-1] != keeperRun {
				return nil, "", false
			}
			for _, line := range l[:len(l)-1] {
				if payload, isSession := strings.CutPrefix(line, sessionLine); isSession {
					session = payload
				} else {
					env = append(env, line)
				}
			}
			return env, session, true
		case sig := <-signals:
			if sig == sigKillNow || sig == sigFence {
				return nil, "", false
			}
		}
	}
}

type keeper struct {
	self, job int
	grace     time.Duration
	status    int
}

// collect waits (briefly: the tree is already dead) for the job's own
// status, so a job killed by our SIGTERM reports 143, not a guess.
func (k *keeper) collect(reaped <-chan reapEvent) int {
	timeout := time.After(time.Second)
	for k.status < 0 {
		select {
		case ev := <-reaped:
			if ev.pid == k.job {
				k.status = ev.status
			}
			if ev.last {
				return k.exitStatus()
			}
		case <-timeout:
			return k.exitStatus()
		}
	}
	return k.status
}

func (k *keeper) exitStatus() int {
	if k.status >= 0 {
		return k.status
	}
	return 128 + int(syscall.SIGKILL)
}

// terminate sends SIGTERM to the tree, waits up to the grace period for it
// to go, then SIGKILLs what is left. A sigKillNow meanwhile cuts it short.
func (k *keeper) terminate(signals <-chan os.Signal) {
	k.signalTree(syscall.SIGTERM)
	deadline := time.Now().Add(k.grace)
	for time.Now().Before(deadline) && len(proc.Descendants(k.self)) > 0 {
		select {
		case sig := <-signals:
			if sig == sigKillNow {
				k.killAll()
				return
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
	k.killAll()
}

// killAll SIGKILLs every descendant until none is left.
func (k *keeper) killAll() {
	for range 500 {
		if k.signalTree(syscall.SIGKILL) == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// signalTree signals the job's group and every descendant of the keeper
// (some may have left the group); it returns how many processes remain.
func (k *keeper) signalTree(sig syscall.Signal) int {
	_ = syscall.Kill(-k.job, sig) // ESRCH: the group is already empty
	pids := proc.Descendants(k.self)
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig) // ESRCH: it just exited
	}
	return len(pids)
}

type reapEvent struct {
	pid    int
	status int
	last   bool // no child is left
}

// reap collects every child of the keeper (the job and the orphans it
// inherits as subreaper) so none lingers as a zombie, and reports when no
// child is left at all.
func reap(events chan<- reapEvent) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			events <- reapEvent{pid: -1, last: true}
			return
		}
		events <- reapEvent{pid: pid, status: exitcode.OfWait(ws)}
	}
}
