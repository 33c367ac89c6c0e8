package lock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Child is the supervised job, seen from the wrapper: a keeper process
// (see KeeperArg) that runs the job in its own process group and owns its
// whole tree.
type Child struct {
	keeper *exec.Cmd
	goPipe *os.File // closed without "run": the keeper exits, nothing ran
	done   chan struct{}
	status int
}

// ChildSpec says what to run and how.
type ChildSpec struct {
	Argv      []string
	KillGrace time.Duration
}

// LookCommand checks, before any lock is taken, that argv[0] can be run:
// exec.ErrNotFound maps to 127, a permission error to 126.
func LookCommand(argv0 string) error {
	_, err := exec.LookPath(argv0)
	return err
}

// PrepareChild starts the keeper, which waits for Run before it starts the
// job: the keeper's start-up then overlaps the wait for the lock instead of
// adding to every run.
func PrepareChild(spec ChildSpec) (*Child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary for the keeper: %w", err)
	}
	args := append([]string{KeeperArg, strconv.Itoa(os.Getpid()), spec.KillGrace.String()}, spec.Argv...)
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	goRead, goWrite, err := os.Pipe()
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("start keeper: %w", err)
	}
	c := &Child{keeper: cmd, goPipe: goWrite, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
			c.status = 0
		case errors.As(err, &exit):
			ws := exit.Sys().(syscall.WaitStatus)
			c.status = ws.ExitStatus()
			if ws.Signaled() {
				c.status = 128 + int(ws.Signal())
			}
		default:
			c.status = 70
		}
		close(c.done)
	}()
	return c, nil
}

// Run lets the keeper start the job with env added to its environment.
func (c *Child) Run(env []string) error {
	msg := strings.Join(append(env, keeperRun), "\n") + "\n"
	_, err := c.goPipe.WriteString(msg)
	if cerr := c.goPipe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("start job through the keeper: %w", err)
	}
	return nil
}

// Abort tells a keeper that never got Run to exit, and waits for it.
func (c *Child) Abort() {
	c.goPipe.Close() // the keeper reads EOF without "run" and exits
	<-c.done
}

// Done is closed once the job and every process it started are dead.
func (c *Child) Done() <-chan struct{} { return c.done }

// Status is the job's exit code, or 128+n when signal n killed it; valid
// after Done.
func (c *Child) Status() int { return c.status }

// Pid is the keeper's pid.
func (c *Child) Pid() int { return c.keeper.Process.Pid }

// Fence asks for SIGTERM to the tree and SIGKILL after the grace period.
func (c *Child) Fence() { c.send(sigFence) }

// KillNow asks for SIGKILL to the whole tree at once.
func (c *Child) KillNow() { c.send(sigKillNow) }

// Forward passes a signal the wrapper received on to the job's group.
func (c *Child) Forward(sig syscall.Signal) { c.send(sig) }

func (c *Child) send(sig syscall.Signal) {
	select {
	case <-c.done:
	default:
		_ = c.keeper.Process.Signal(sig) // fails only if the keeper just exited
	}
}
