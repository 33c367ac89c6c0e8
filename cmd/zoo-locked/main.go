// Command zoo-locked runs a command under a ZooKeeper lock; see --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/keeper"
	"github.com/zoo-locked/zoo-locked/cmd/zoo-locked/metrics"
	"github.com/zoo-locked/zoo-locked/cmd/zoo-locked/ping"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == keeper.Arg {
		// The keeper, where zoo-locked-keeper is not installed beside us.
		os.Exit(keeper.Run(os.Args[1:]))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	o, err := parseArgs(args, os.Getenv)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v (see zoo-locked --help)\n", err)
		return exitcode.Usage
	case o.help:
		printHelp(os.Stdout)
		return 0
	case o.man:
		printMan(os.Stdout)
		return 0
	case o.subcommand == "config":
		return printConfig(os.Stdout, o.sources)
	case o.version:
		fmt.Println("zoo-locked", version)
		return 0
	case o.subcommand == "check":
		return check(o, os.Stdout)
	case o.subcommand == "pause" || o.subcommand == "resume" || o.subcommand == "stop":
		return control(o, os.Stdout)
	case o.subcommand != "":
		return inspect(o, os.Stdout)
	}
	// A run waits on the network and on its keeper, never on CPU: one P
	// spares it the threads that wake, spin and sleep again with every
	// reply, on cores the job (and often a ZooKeeper server) also need.
	runtime.GOMAXPROCS(1)
	// The hidden --unsafe-* flags: the harness's seams, off in production.
	if o.noFence || o.clockSkew != 0 {
		o.cfg.Session.Hooks = &lock.Hooks{NoFence: o.noFence, ClockSkew: o.clockSkew}
	}
	o.cfg.Unsafe.TrustEnsembleClock = o.trustEnsembleClock
	if o.testSignalAtGrant {
		o.cfg.Unsafe.SignalAtGrant = syscall.SIGTERM
	}
	if err := keeper.LookCommand(o.cfg.Command[0]); err != nil {
		return exitCode(fleet.Result{}, err, o.busyExitCode)
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	o.cfg.Signals = signals
	o.cfg.Logger = newLogger(o)
	o.cfg.Version = version
	o.cfg.Fired = o.cfg.Session.Hooks.Now()
	if err := splay(o.splay, signals, o.cfg.Logger); err != nil {
		return exitCode(fleet.Result{}, err, o.busyExitCode)
	}
	var pinger *ping.Pinger
	var output *ping.Capture
	if o.pingURL != "" {
		pinger, _ = ping.New(o.pingURL, o.cfg.Logger) // checked with the flags
		o.cfg.BeforeJob = func(r fleet.RunInfo) { pinger.Start(r.ID) }
		if o.pingBodyLimit > 0 {
			if output, err = ping.NewCapture(o.pingBodyLimit, os.Stdout, os.Stderr); err != nil {
				o.cfg.Logger.Warn("the job's output cannot be captured; the ping goes without it", "err", err)
			} else {
				o.cfg.JobStdout, o.cfg.JobStderr = output.Stdout, output.Stderr
			}
		}
	}
	res, err := fleet.Wrap(context.Background(), o.cfg)
	var body []byte
	if output != nil {
		output.Close() // the job's tree is dead
		body = output.Tail()
	}
	if errors.Is(err, fleet.ErrUnreadableRecord) {
		fmt.Fprintf(os.Stderr, "zoo-locked: if nothing but zoo-locked writes under this lock, clear the record with: zoo-locked reset %s\n", o.cfg.Name)
	}
	code := exitCode(res, err, o.busyExitCode)
	var held *lock.HeldError
	if o.classic && errors.As(err, &held) {
		// What the replaced tool printed, and its status: scripts read both.
		fmt.Printf("LOCKED by %s\n", held.Holder)
		code = 0
	}
	if pinger != nil && res.Ran {
		pinger.Finish(code, body)
	}
	if o.metricsFile != "" {
		if merr := metrics.Record(o.metricsFile, firing(o.cfg.Name, res, err)); merr != nil {
			o.cfg.Logger.Error("metrics file not written; the job's exit status is unchanged", "err", merr)
		}
	}
	return code
}

// firing is what the metrics file counts of one firing.
func firing(name string, res fleet.Result, err error) metrics.Firing {
	f := metrics.Firing{Lock: name, Ran: res.Ran, Start: res.Start, End: res.End, Exit: res.Status, Waited: res.Waited}
	switch {
	case errors.Is(err, lock.ErrLockLost):
		f.Outcome = metrics.Fenced
	case errors.Is(err, lock.ErrBusy):
		f.Outcome = metrics.SkippedBusy
	case res.SlotDone:
		f.Outcome = metrics.SkippedDone
	case res.Paused != nil:
		f.Outcome = metrics.SkippedPaused
	case res.OutOfAttempts > 0:
		f.Outcome = metrics.SkippedGaveUp
	case res.ClockRefused:
		f.Outcome = metrics.SkippedClock
	case res.Ending == fleet.EndStopped:
		f.Outcome = metrics.Stopped
	case err == nil && res.Ran && res.Status == 0:
		f.Outcome = metrics.Ran
	case res.Ran:
		f.Outcome = metrics.Failed
	default:
		f.Outcome = metrics.Error
	}
	return f
}

// splay waits a random time in [0, most) so that a fleet whose crons fire
// in the same second does not reach the ensemble in the same millisecond;
// a signal ends it at once, as it ends a wait for the lock.
func splay(most time.Duration, signals <-chan os.Signal, log *slog.Logger) error {
	if most <= 0 {
		return nil
	}
	d := rand.N(most)
	log.Debug("splay", "wait", d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case sig := <-signals:
		return &fleet.InterruptedError{Signal: sig.(syscall.Signal)}
	}
}

// exitCode is the one place where outcomes become exit codes; it says on
// stderr why, in the terms of the command line.
func exitCode(res fleet.Result, err error, busyCode int) int {
	var interrupted *fleet.InterruptedError
	var graceTooLong *lock.GraceTooLongError
	switch {
	case err == nil && res.Ending == fleet.EndStopped:
		fmt.Fprintf(os.Stderr, "zoo-locked: the job was stopped by %s\n", res.StoppedBy)
		return exitcode.Stopped
	case err == nil && res.Ran:
		return res.Status
	case err == nil:
		return 0
	case errors.As(err, &interrupted):
		return exitcode.Signal + int(interrupted.Signal)
	case errors.As(err, &graceTooLong):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v; lower --kill-grace or raise the servers' maxSessionTimeout\n", err)
		return exitcode.Usage
	case errors.Is(err, lock.ErrUsage):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Usage
	case errors.Is(err, lock.ErrUnavailable):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Unavailable
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer):
		// What status, list and check met: ZooKeeper, not zoo-locked, failed.
		fmt.Fprintf(os.Stderr, "zoo-locked: %v (the connection to ZooKeeper dropped; try again)\n", err)
		return exitcode.Unavailable
	case errors.Is(err, fleet.ErrForeignHolder):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Busy
	case errors.Is(err, fleet.ErrClockDisagrees):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.ClockRefused
	case errors.Is(err, lock.ErrBusy):
		return busyCode
	case errors.Is(err, lock.ErrLockLost) && res.Ran:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v; the job was killed\n", err)
		return exitcode.LockLost
	case errors.Is(err, lock.ErrLockLost):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.LockLost
	case errors.Is(err, fleet.ErrNotFound):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.NotFound
	case errors.Is(err, fleet.ErrNotExecutable):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.CannotExec
	case errors.Is(err, fleet.ErrNotPermitted):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.NoPermission
	case errors.Is(err, lock.ErrOldServer):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Unavailable
	default:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Internal
	}
}
