// Command bareclient is the benchmarks' baseline: what a user's own
// go-zookeeper program would do to run a command under a lock, started as
// a process as the wrapper is: connect, create a protected ephemeral
// sequential contender, list the contenders, run the command, close the
// session (which deletes the contender). Three quorum writes: the floor.
//
//	bareclient SERVERS PARENT [COMMAND [ARGS...]]
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
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bareclient SERVERS PARENT [COMMAND [ARGS...]]")
		os.Exit(64)
	}
	connected := make(chan struct{})
	var once bool
	conn, _, err := zk.Connect(strings.Split(os.Args[1], ","), 4*time.Second, zk.WithLogger(quiet{}),
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
	parent := os.Args[2]
	if _, err := conn.CreateProtectedEphemeralSequential(parent+"/lock-", nil, zk.WorldACL(zk.PermAll)); err != nil {
		fail(err)
	}
	if _, _, err := conn.Children(parent); err != nil {
		fail(err)
	}
	if len(os.Args) > 3 {
		cmd := exec.Command(os.Args[3], os.Args[4:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bareclient:", err)
	os.Exit(1)
}
