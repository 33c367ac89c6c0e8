// Command bareclient is the benchmarks' baseline: what a user's own
// go-zookeeper program would do to run a command under a lock, started as
// a process as the wrapper is: connect, create a protected ephemeral
// sequential contender, list the contenders, run the command, close the
// session (which deletes the contender). Three quorum writes: the floor.
//
// With --ledger it is a run's work floor: the same program keeping a
// ledger of its runs as zoo-locked does (ledger.go). Five quorum writes,
// as the wrapper makes; no keeper, no fence, no signals.
//
//	bareclient [--ledger LEDGER] SERVERS PARENT [COMMAND [ARGS...]]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func main() {
	args := os.Args[1:]
	var ledgerPath string
	if len(args) >= 2 && args[0] == "--ledger" {
		ledgerPath, args = args[1], args[2:]
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bareclient [--ledger LEDGER] SERVERS PARENT [COMMAND [ARGS...]]")
		os.Exit(64)
	}
	connected := make(chan struct{})
	var once bool
	// The benchmarks' session (4 s); BARECLIENT_SESSION_TIMEOUT sets
	// another, for the crash takeover at the wrapper's T.
	timeout := 4 * time.Second
	if v, err := time.ParseDuration(os.Getenv("BARECLIENT_SESSION_TIMEOUT")); err == nil {
		timeout = v
	}
	conn, _, err := zk.Connect(strings.Split(args[0], ","), timeout, zk.WithLogger(quiet{}),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.State == zk.StateHasSession && !once {
				once = true
				close(connected)
			}
		}))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	<-connected
	parent := args[1]
	node, err := conn.CreateProtectedEphemeralSequential(parent+"/lock-", nil, zk.WorldACL(zk.PermAll))
	if err != nil {
		fail(err)
	}
	var token <-chan int64
	if ledgerPath != "" {
		token = readToken(conn, node)
	}
	if _, _, err := conn.Children(parent); err != nil {
		fail(err)
	}
	var run *ledgerRun
	if ledgerPath != "" {
		run = startRun(conn, ledgerPath, <-token)
	}
	if len(args) > 2 {
		cmd := exec.Command(args[2], args[3:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(err)
		}
	}
	if run != nil {
		run.complete(node)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bareclient:", err)
	os.Exit(1)
}
