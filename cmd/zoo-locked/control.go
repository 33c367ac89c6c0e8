package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// stopProgress is how often stop says it is still waiting.
const stopProgress = 5 * time.Second

// control runs pause, resume and stop: an operator's hands on a fleet
// job, whichever node runs it.
func control(o options, out io.Writer) int {
	s, err := lock.Connect(context.Background(), o.cfg.Session)
	if err != nil {
		return exitCode(fleet.Result{}, err, exitcode.Busy)
	}
	defer s.Close()
	switch o.subcommand {
	case "pause":
		p := fleet.Pause{By: operator(o), Reason: o.reason, For: o.pauseFor}
		if err := fleet.PauseLock(s, o.cfg.Root, o.cfg.Name, p); err != nil {
			return exitCode(fleet.Result{}, err, exitcode.Busy)
		}
		if o.json && !o.alsoStop {
			return printJSON(out, p)
		}
		if !o.json {
			fmt.Fprintf(out, "%s: paused by %s %s%s; every firing skips\n", o.cfg.Name, p.By, pauseSpan(p.For), reasonText(p.Reason))
		}
		if o.alsoStop {
			return stop(o, s, out)
		}
		return 0
	case "resume":
		was, err := fleet.ResumeLock(s, o.cfg.Root, o.cfg.Name)
		if err != nil {
			return exitCode(fleet.Result{}, err, exitcode.Busy)
		}
		if o.json {
			return printJSON(out, map[string]any{"lock": o.cfg.Name, "was_paused": was})
		}
		if was == nil {
			fmt.Fprintf(out, "%s: was not paused\n", o.cfg.Name)
		} else {
			fmt.Fprintf(out, "%s: resumed (paused by %s since %s%s)\n", o.cfg.Name, was.By, was.Since.Format(time.RFC3339), reasonText(was.Reason))
		}
		return 0
	}
	return stop(o, s, out)
}

// stoppedRun is what stop says of one run it stopped.
type stoppedRun struct {
	Host   string        `json:"host"`
	Pid    int           `json:"pid"`
	Token  int64         `json:"token"`
	Znode  string        `json:"znode"`
	Waited time.Duration `json:"waited_ns"`
}

// stop asks the holders to stop their jobs and waits until each has
// released the lock, its job's tree dead.
func stop(o options, s *lock.Session, out io.Writer) int {
	holders, err := fleet.RequestStop(s, o.cfg.Root, o.cfg.Name, o.cfg.Contenders, fleet.StopRequest{By: operator(o)})
	if err != nil {
		return exitCode(fleet.Result{}, err, exitcode.Busy)
	}
	ctx := context.Background()
	if o.cfg.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.cfg.WaitTimeout, fmt.Errorf("--wait-timeout %v passed", o.cfg.WaitTimeout))
		defer cancel()
	}
	stopped := []stoppedRun{}
	for _, h := range holders {
		fmt.Fprintf(os.Stderr, "zoo-locked: %s: stopping the run on %s pid %d (token %d)\n", o.cfg.Name, h.Holder.Host, h.Holder.Pid, h.Token)
		began := time.Now()
		// A wrapper acts on a stop within its kill grace; one still running
		// well past that may be a release before stop existed.
		acts := o.cfg.Session.SessionTimeout + o.cfg.Session.KillGrace
		err := fleet.AwaitStopped(ctx, s, h, stopProgress, func(waited time.Duration) {
			hint := ""
			if waited > acts {
				hint = fmt.Sprintf("; its zoo-locked %s may predate stop, which then cannot reach it", h.Holder.Version)
			}
			fmt.Fprintf(os.Stderr, "zoo-locked: %s: still waiting for %s pid %d to stop its job (%v%s)\n", o.cfg.Name, h.Holder.Host, h.Holder.Pid, waited.Round(time.Second), hint)
		})
		if ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "zoo-locked: %s: %v before the run on %s stopped; the request stands, and its wrapper acts on it when it sees it\n", o.cfg.Name, context.Cause(ctx), h.Holder.Host)
			return o.busyExitCode
		}
		if err != nil {
			return exitCode(fleet.Result{}, err, exitcode.Busy)
		}
		stopped = append(stopped, stoppedRun{Host: h.Holder.Host, Pid: h.Holder.Pid, Token: h.Token, Znode: h.Znode, Waited: time.Since(began)})
	}
	if o.json {
		return printJSON(out, map[string]any{"lock": o.cfg.Name, "stopped": stopped})
	}
	if len(stopped) == 0 {
		fmt.Fprintf(out, "%s: nothing running to stop\n", o.cfg.Name)
	}
	for _, r := range stopped {
		fmt.Fprintf(out, "%s: stopped the run on %s (token %d) in %v; its tree is dead and the lock released\n", o.cfg.Name, r.Host, r.Token, r.Waited.Round(time.Millisecond))
	}
	return 0
}

// operator names who paused or stopped a job: user@host, and the
// ZooKeeper identity when there is one.
func operator(o options) string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	who := name + "@" + host
	if id, _, ok := bytes.Cut(o.cfg.Session.Auth, []byte(":")); ok {
		who += " (digest " + string(id) + ")"
	}
	return who
}

func pauseSpan(d time.Duration) string {
	if d == 0 {
		return "until resume"
	}
	return "for " + d.String()
}

func reasonText(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(": %q", reason)
}
