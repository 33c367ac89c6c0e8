package keeper

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/lock/exitcode"
)

// Child is the supervised job, seen from the wrapper: a keeper process
// (see Arg) that runs the job in its own process group and owns its
// whole tree.
type Child struct {
	keeper *exec.Cmd
	goPipe *os.File // closed without "run": the keeper exits, nothing ran
	done   chan struct{}
	status int
	err    error // the keeper itself failed
}

// LookCommand checks, before any lock is taken, that argv0 can be run; the
// error wraps ErrNotFound or ErrNotExecutable.
func LookCommand(argv0 string) error {
	if _, err := exec.LookPath(argv0); err != nil {
		return startError(argv0, err)
	}
	return nil
}

// Prepare starts the keeper, which waits for start before it starts
// the job: the keeper's start-up then overlaps the wait for the lock
// instead of adding to every run. The job writes to stdout and stderr,
// nil for the wrapper's own.
func Prepare(argv []string, killGrace time.Duration, stdout, stderr *os.File) (*Child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%w: find own binary for the keeper: %v", ErrFailed, err)
	}
	args := append([]string{Arg, strconv.Itoa(os.Getpid()), killGrace.String()}, argv...)
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	goRead, goWrite, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%w: keeper pipe: %v", ErrFailed, err)
	}
	defer goRead.Close()
	cmd.ExtraFiles = []*os.File{goRead} // fd 3 in the keeper
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// The wrapper's death, however it comes, kills the tree.
		Pdeathsig: sigKillNow,
		// Terminal signals reach the wrapper only, which forwards them once.
		Setpgid: true,
	}
	if err := cmd.Start(); err != nil {
		goWrite.Close()
		return nil, fmt.Errorf("%w: start keeper: %v", ErrFailed, err)
	}
	c := &Child{keeper: cmd, goPipe: goWrite, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
			c.status = 0
		case errors.As(err, &exit):
			c.status = exitcode.OfWait(exit.Sys().(syscall.WaitStatus))
		default:
			c.err = fmt.Errorf("%w: keeper: %v", ErrFailed, err)
		}
		close(c.done)
	}()
	return c, nil
}

// start lets the keeper start the job with env added to its environment.
func (c *Child) Start(env []string) error {
	msg := strings.Join(append(env, keeperRun), "\n") + "\n"
	_, err := c.goPipe.WriteString(msg)
	if cerr := c.goPipe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: start job through the keeper: %v", ErrFailed, err)
	}
	return nil
}

// abort tells a keeper that was never told to start the job to exit, and
// waits for it.
func (c *Child) Abort() {
	c.goPipe.Close() // the keeper reads EOF without "run" and exits
	<-c.done
}

// exited is closed once the job and every process it started are dead.
func (c *Child) Exited() <-chan struct{} { return c.done }

// result is the job's exit code, or 128+n when signal n killed it; or an
// error when the keeper itself failed. Read it once exited is closed.
func (c *Child) Result() (int, error) { return c.status, c.err }

// fence asks for SIGTERM to the tree and SIGKILL after the grace period.
func (c *Child) Fence() { c.send(sigFence) }

// killNow asks for SIGKILL to the whole tree at once.
func (c *Child) KillNow() { c.send(sigKillNow) }

// forward passes a signal the wrapper received on to the job's group.
func (c *Child) Forward(sig syscall.Signal) { c.send(sig) }

func (c *Child) send(sig syscall.Signal) {
	select {
	case <-c.done:
	default:
		_ = c.keeper.Process.Signal(sig) // fails only if the keeper just exited
	}
}
