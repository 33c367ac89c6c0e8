package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// trials is what every command that runs trials sets up before the first:
// its report directory (a new temp dir unless the user gave one), a
// context that Ctrl-C ends, the binaries the nodes fire, and the log.
type trials struct {
	ctx             context.Context
	report          string
	zooLocked, self string
	log             *slog.Logger
}

// prepareTrials sets up for command; a non-zero code says it failed and
// has said why. stop releases the signal handler.
func prepareTrials(command, tempPrefix, report string) (t trials, stop func(), code int) {
	stop = func() {}
	if report == "" {
		dir, err := os.MkdirTemp("", tempPrefix)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos %s: %v\n", command, err)
			return t, stop, exitcode.Internal
		}
		report = dir
	}
	var ctx context.Context
	ctx, stop = signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	zooLocked, self, err := binaries(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos %s: %v\n", command, err)
		return t, stop, exitcode.Internal
	}
	return trials{ctx: ctx, report: report, zooLocked: zooLocked, self: self, log: slog.New(slog.NewTextHandler(os.Stderr, nil))}, stop, 0
}
