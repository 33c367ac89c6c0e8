package keeper

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"golang.org/x/sys/unix"
)

// Child is the supervised job, seen from the wrapper: a keeper process
// (see Arg) that runs the job in its own process group and owns its
// whole tree.
type Child struct {
	pid    int
	goPipe *os.File // closed without "run": the keeper exits, nothing ran
	done   chan struct{}
	status int
	err    error // the keeper itself failed

	// exited is set once the keeper has exited, before it is reaped: until
	// then its pid cannot be reused, so a signal never reaches a stranger.
	mu     sync.Mutex
	exited bool
}

// LookCommand checks, before any lock is taken, that argv0 can be run; the
// error wraps ErrNotFound or ErrNotExecutable.
func LookCommand(argv0 string) error {
	if _, err := exec.LookPath(argv0); err != nil {
		return startError(argv0, err)
	}
	return nil
}

// SmallBinary is the keeper's own program, installed beside zoo-locked.
const SmallBinary = "zoo-locked-keeper"

// binary is the program the keeper runs as: SmallBinary beside ours, which
// starts in a fraction of the wrapper's time, or else our own binary,
// which is a keeper too when called with Arg.
func binary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w: find own binary for the keeper: %v", ErrFailed, err)
	}
	small := filepath.Join(filepath.Dir(self), SmallBinary)
	if unix.Access(small, unix.X_OK) == nil {
		return small, nil
	}
	return self, nil
}

// Prepare starts the keeper, which waits for Start before it starts
// the job: the keeper's start-up then overlaps the wait for the lock
// instead of adding to every run. The job writes to stdout and stderr,
// nil for the wrapper's own.
func Prepare(argv []string, killGrace time.Duration, stdout, stderr *os.File) (*Child, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	goRead, goWrite, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%w: keeper pipe: %v", ErrFailed, err)
	}
	defer goRead.Close()
	args := append([]string{bin, Arg, strconv.Itoa(os.Getpid()), killGrace.String()}, argv...)
	// syscall.ForkExec, not os/exec: a Go program's first os/exec start
	// probes pidfd support with a throwaway child first.
	pid, err := syscall.ForkExec(bin, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{os.Stdin.Fd(), stdout.Fd(), stderr.Fd(), goRead.Fd()}, // fd 3: the go-ahead
		Sys: &syscall.SysProcAttr{
			// The wrapper's death, however it comes, kills the tree.
			Pdeathsig: sigKillNow,
			// Terminal signals reach the wrapper only, which forwards them once.
			Setpgid: true,
		},
	})
	if err != nil {
		goWrite.Close()
		return nil, fmt.Errorf("%w: start keeper %s: %v", ErrFailed, bin, err)
	}
	c := &Child{pid: pid, goPipe: goWrite, done: make(chan struct{})}
	go c.wait()
	return c, nil
}

// wait marks the keeper exited, then reaps it.
func (c *Child) wait() {
	defer close(c.done)
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, c.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			c.err = fmt.Errorf("%w: keeper: %v", ErrFailed, err)
			return
		}
	}
	c.mu.Lock()
	c.exited = true
	c.mu.Unlock()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(c.pid, &ws, 0, nil)
		if err == nil {
			c.status = exitcode.OfWait(ws)
			return
		}
		if err != syscall.EINTR {
			c.err = fmt.Errorf("%w: keeper: %v", ErrFailed, err)
			return
		}
	}
}

// Start lets the keeper start the job with env added to its environment.
// session, when not empty, is what ends the wrapper's session
// (zkclose.Session.Encode): the keeper uses it only once the wrapper has
// died and the job's tree is dead (release.go). It travels on the pipe
// alone, never in argv or the environment.
func (c *Child) Start(env []string, session string) error {
	lines := append([]string(nil), env...)
	if session != "" {
		lines = append(lines, sessionLine+session)
	}
	msg := strings.Join(append(lines, keeperRun), "\n") + "\n"
	_, err := c.goPipe.WriteString(msg)
	if cerr := c.goPipe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: start job through the keeper: %v", ErrFailed, err)
	}
	return nil
}

// Abort tells a keeper that was never told to start the job to exit, and
// waits for it.
func (c *Child) Abort() {
	c.goPipe.Close() // the keeper reads EOF without "run" and exits
	<-c.done
}

// Exited is closed once the job and every process it started are dead.
func (c *Child) Exited() <-chan struct{} { return c.done }

// Result is the job's exit code, or 128+n when signal n killed it; or an
// error when the keeper itself failed. Read it once Exited is closed.
func (c *Child) Result() (int, error) { return c.status, c.err }

// Fence asks for SIGTERM to the tree and SIGKILL after the grace period.
func (c *Child) Fence() { c.send(sigFence) }

// KillNow asks for SIGKILL to the whole tree at once.
func (c *Child) KillNow() { c.send(sigKillNow) }

// Forward passes a signal the wrapper received on to the job's group.
func (c *Child) Forward(sig syscall.Signal) { c.send(sig) }

func (c *Child) send(sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exited {
		_ = syscall.Kill(c.pid, sig) // fails only if the keeper just exited
	}
}
