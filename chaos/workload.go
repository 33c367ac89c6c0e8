package chaos

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// workNode is one simulated cron node of the workload: its links, and the
// zoo-locked process it runs now.
type workNode struct {
	name    string
	links   *Node
	mu      sync.Mutex
	cmd     *exec.Cmd
	firings []Firing
}

func (n *workNode) Name() string { return n.name }
func (n *workNode) Links() *Node { return n.links }
func (n *workNode) WrapperPid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// wrapperArgs is the zoo-locked command line a node fires: the scenario's
// wrapper settings around the witness job.
func (r *Trial) wrapperArgs(n *workNode) []string {
	sc := r.scenario
	args := append([]string{"--zk", n.links.ConnectString(),
		"--session-timeout", sc.SessionTimeout.String(), "--kill-grace", sc.KillGrace.String(),
		"--connect-timeout", "5s", "--wait-timeout", "30s", "--log-level", "info"}, sc.WrapperArgs...)
	if sc.Limit > 1 {
		args = append(args, "--limit", strconv.Itoa(sc.Limit))
	}
	if sc.OncePer > 0 {
		args = append(args, "--once-per", sc.OncePer.String())
	}
	if len(r.cfg.Command) > 0 {
		return append(append(args, r.lockName, "--", r.cfg.Job, "shim", "--witness", r.witness.Addr(), "--node", n.name, "--"), r.cfg.Command...)
	}
	args = append(args, r.lockName, "--", r.cfg.Job, "job", "--witness", r.witness.Addr(),
		"--node", n.name, "--length", sc.JobLength.String())
	if sc.Grandchild {
		args = append(args, "--grandchild")
	}
	return args
}

// fire is one simulated cron node: it fires the job through zoo-locked
// again as soon as the previous firing ends, until told to stop.
func (r *Trial) fire(n *workNode, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		cmd := exec.Command(r.cfg.ZooLocked, r.wrapperArgs(n)...)
		cmd.Env = append(os.Environ(), "ZOOCHAOS_RUN="+r.runID)
		cmd.Stdout = io.Discard
		cmd.Stderr = &prefixWriter{r: r, prefix: n.name + ": "}
		start := r.since()
		if err := cmd.Start(); err != nil {
			r.log.Error("start wrapper", "node", n.name, "err", err)
			return
		}
		n.mu.Lock()
		n.cmd = cmd
		n.mu.Unlock()
		_ = cmd.Wait() // the exit code is recorded below
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		n.mu.Lock()
		n.cmd = nil
		n.firings = append(n.firings, Firing{Node: n.name, Start: start, End: r.since(), Exit: code})
		n.mu.Unlock()
		// Cron fires on a schedule, not in a spin: a --once-per node that
		// skips must not fire hundreds of times a second.
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// prefixWriter stamps each line a wrapper writes with the trial's clock
// and the node's name.
type prefixWriter struct {
	r      *Trial
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.r.wmu.Lock()
	defer p.r.wmu.Unlock()
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			fmt.Fprintf(&p.r.wrappers, "%8.3fs %s%s", p.r.since().Seconds(), p.prefix, line)
		}
	}
	return len(b), nil
}
