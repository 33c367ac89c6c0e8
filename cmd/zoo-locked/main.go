// Command zoo-locked runs a command under a ZooKeeper lock; see --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/zoo-locked/zoo-locked/lock"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// The exit codes of DESIGN §4; the child's own status passes through.
const (
	exitUsage       = 64
	exitUnavailable = 69
	exitInternal    = 70
	exitBusy        = 75
	exitLockLost    = 79
	exitCannotExec  = 126
	exitNotFound    = 127
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == lock.KeeperArg {
		os.Exit(lock.RunKeeper(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	o, err := parseArgs(args, os.Getenv)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v (see zoo-locked --help)\n", trimUsage(err))
		return exitUsage
	case o.help:
		printHelp(os.Stdout)
		return 0
	case o.version:
		fmt.Println("zoo-locked", version)
		return 0
	case o.subcommand != "":
		return inspect(o, os.Stdout)
	}
	if err := lock.LookCommand(o.cfg.Command[0]); err != nil {
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return exitNotFound
		}
		return exitCannotExec
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	o.cfg.Signals = signals
	o.cfg.Logger = newLogger(o)
	o.cfg.Version = version
	status, err := lock.Run(context.Background(), o.cfg)
	return exitCode(status, err, o.busyExitCode)
}

// exitCode is the one place where outcomes become exit codes.
func exitCode(status int, err error, busyCode int) int {
	switch {
	case err == nil:
		return status
	case errors.Is(err, lock.ErrUsage):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", trimUsage(err))
		return exitUsage
	case errors.Is(err, lock.ErrUnavailable):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitUnavailable
	case errors.Is(err, lock.ErrBusy):
		return busyCode
	case errors.Is(err, lock.ErrLockLost):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v; the job was killed\n", err)
		return exitLockLost
	default:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitInternal
	}
}

// trimUsage drops the "usage: " the sentinel puts in front of the message.
func trimUsage(err error) string {
	msg := err.Error()
	if p := lock.ErrUsage.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}
