// Command ledgerclient is the benchmarks' floor for a run: what a user's
// own go-zookeeper program would do to run a command under a lock and keep
// a ledger of its runs as zoo-locked does — the bare program's connect,
// contend and close, plus the ledger's work: read it under the lock, write
// the run's entry before the command starts, and complete the entry in the
// transaction that deletes the contender once it ends. Five quorum writes,
// as the wrapper makes; no keeper, no fence, no signals.
//
//	ledgerclient SERVERS PARENT LEDGER [COMMAND [ARGS...]]
//
// LEDGER is a persistent znode, made before the first run.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

type quiet struct{}

func (quiet) Printf(string, ...any) {}

type entry struct {
	Host  string     `json:"host"`
	Pid   int        `json:"pid"`
	Token int64      `json:"token"`
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end,omitempty"`
	Exit  *int       `json:"exit,omitempty"`
}

// ledgerSize is how many runs the ledger keeps, as zoo-locked's does.
const ledgerSize = 20

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: ledgerclient SERVERS PARENT LEDGER [COMMAND [ARGS...]]")
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
	parent, ledgerPath := os.Args[2], os.Args[3]
	node, err := conn.CreateProtectedEphemeralSequential(parent+"/lock-", nil, zk.WorldACL(zk.PermAll))
	if err != nil {
		fail(err)
	}
	// The entry's token is the contender's czxid, read beside the listing.
	token := make(chan *zk.Stat, 1)
	go func() {
		_, stat, err := conn.Exists(node)
		if err != nil {
			fail(err)
		}
		token <- stat
	}()
	if _, _, err := conn.Children(parent); err != nil {
		fail(err)
	}
	created := <-token
	data, stat, err := conn.Get(ledgerPath)
	if err != nil {
		fail(err)
	}
	var runs []entry
	if len(data) > 0 {
		if err := json.Unmarshal(data, &runs); err != nil {
			fail(err)
		}
	}
	host, _ := os.Hostname()
	runs = append(runs, entry{Host: host, Pid: os.Getpid(), Token: created.Czxid, Start: time.Now()})
	runs = runs[max(0, len(runs)-ledgerSize):]
	stat, err = conn.Set(ledgerPath, marshal(runs), stat.Version)
	if err != nil {
		fail(err)
	}
	status := 0
	if len(os.Args) > 4 {
		cmd := exec.Command(os.Args[4], os.Args[5:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(err)
		}
	}
	end := time.Now()
	runs[len(runs)-1].End, runs[len(runs)-1].Exit = &end, &status
	if _, err := conn.Multi(
		&zk.SetDataRequest{Path: ledgerPath, Data: marshal(runs), Version: stat.Version},
		&zk.DeleteRequest{Path: node, Version: -1},
	); err != nil {
		fail(err)
	}
}

func marshal(runs []entry) []byte {
	b, err := json.Marshal(runs)
	if err != nil {
		fail(err)
	}
	return b
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ledgerclient:", err)
	os.Exit(1)
}
