package chaos

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// workNode is one simulated cron node of the workload: its links, and the
// zoo-locked process it runs now.
type workNode struct {
	name    string
	links   *ensemble.Node
	mu      sync.Mutex
	cmd     *exec.Cmd
	firings []checker.Firing
	// clockSkew is how far off the clock of the wrappers it fires is
	// (NodeClock).
	clockSkew time.Duration
}

// SetClockSkew implements SkewedClient: the next firings read a clock
// that far off.
func (n *workNode) SetClockSkew(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.clockSkew = d
}

func (n *workNode) Name() string          { return n.name }
func (n *workNode) Links() *ensemble.Node { return n.links }
func (n *workNode) WrapperPid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// lockPath is the znode every wrapper of the trial locks.
func (t *Trial) lockPath() string { return "/zoo-locked/" + t.lockName }

// wrapperOf says what node i fires now: its foreign recipe until the
// migration reaches it, then zoo-locked's classic form.
func (t *Trial) wrapperOf(i int) string {
	sc := t.scenario
	if t.cfg.Wrapper != "" {
		return checker.WrapperTemplate
	}
	if i >= len(sc.Foreign) || sc.Foreign[i] == "" {
		return checker.WrapperZooLocked
	}
	if sc.Migrate && t.since() >= sc.Duration*time.Duration(i+1)/time.Duration(len(sc.Foreign)+1) {
		return checker.WrapperClassic
	}
	return sc.Foreign[i]
}

// command is the process a node fires with wrapper: the scenario's
// wrapper settings around the witness job.
func (t *Trial) command(n *workNode, wrapper string) (string, []string) {
	sc := t.scenario
	job := t.jobArgv(n)
	settings := []string{"--session-timeout", sc.SessionTimeout.String(), "--kill-grace", sc.KillGrace.String(),
		"--connect-timeout", "5s", "--log-level", "info"}
	switch wrapper {
	case checker.WrapperZooLocked:
	case checker.WrapperTemplate:
		return "/bin/sh", []string{"-c", "exec " + expandWrapper(t.cfg.Wrapper, n.links.ConnectString(), t.lockPath(), t.lockName, job)}
	case checker.WrapperClassic:
		return t.cfg.ZooLocked, append(settings, n.links.ConnectString(), t.lockPath(), shellQuote(job))
	default:
		return t.cfg.Job, append([]string{"foreign", "--recipe", wrapper, "--zk", n.links.ConnectString(), "--path", t.lockPath(), "--"}, job...)
	}
	args := append(append([]string{"--zk", n.links.ConnectString(), "--wait-timeout", sc.WaitTimeout.String()}, settings...), sc.WrapperArgs...)
	if sc.Limit > 1 {
		args = append(args, "--limit", strconv.Itoa(sc.Limit))
	}
	if sc.OncePer > 0 {
		args = append(args, "--once-per", sc.OncePer.String())
	}
	n.mu.Lock()
	skew := n.clockSkew
	n.mu.Unlock()
	if skew != 0 {
		args = append(args, "--unsafe-clock-skew", skew.String())
	}
	return t.cfg.ZooLocked, append(append(args, t.lockName, "--"), job...)
}

// jobArgv is the job a wrapper runs: the witness job, or the user's
// command under the shim.
func (t *Trial) jobArgv(n *workNode) []string {
	sc := t.scenario
	if len(t.cfg.Command) > 0 {
		return append([]string{t.cfg.Job, "shim", "--witness", t.witness.Addr(), "--node", n.name, "--"}, t.cfg.Command...)
	}
	job := []string{t.cfg.Job, "job", "--witness", t.witness.Addr(), "--node", n.name, "--length", sc.JobLength.String()}
	if sc.Grandchild {
		job = append(job, "--grandchild")
	}
	return job
}

// shellQuote joins argv into one /bin/sh word list, each word quoted.
func shellQuote(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// fire is one simulated cron node: it fires the job through zoo-locked
// again as soon as the previous firing ends, until told to stop.
func (t *Trial) fire(i int, n *workNode, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		wrapper := t.wrapperOf(i)
		name, args := t.command(n, wrapper)
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "ZOOCHAOS_RUN="+t.runID)
		cmd.Stdout = io.Discard
		cmd.Stderr = &prefixWriter{trial: t, prefix: n.name + ": "}
		start := t.since()
		if err := cmd.Start(); err != nil {
			t.log.Error("start wrapper", "node", n.name, "err", err)
			return
		}
		n.mu.Lock()
		n.cmd = cmd
		n.mu.Unlock()
		_ = cmd.Wait() // the exit code is recorded below
		code := exitcode.Of(cmd.ProcessState)
		n.mu.Lock()
		n.cmd = nil
		n.firings = append(n.firings, checker.Firing{Node: n.name, Start: start, End: t.since(), Exit: code, Wrapper: wrapper})
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
	trial  *Trial
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.trial.wmu.Lock()
	defer p.trial.wmu.Unlock()
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			fmt.Fprintf(&p.trial.wrappers, "%8.3fs %s%s", p.trial.since().Seconds(), p.prefix, line)
		}
	}
	return len(b), nil
}
