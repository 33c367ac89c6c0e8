package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/go-zookeeper/zk"
)

// The ledger's work, as a user's program would do it: read the ledger
// under the lock, write the run's entry before the command starts, and
// complete it in the transaction that deletes the contender once the
// command ends. The ledger is a persistent znode made before the first
// run, holding the last runs as JSON.

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

type ledgerRun struct {
	conn    *zk.Conn
	path    string
	runs    []entry
	version int32
}

// readToken reads the contender's czxid, the entry's token, beside the
// listing.
func readToken(conn *zk.Conn, node string) <-chan int64 {
	token := make(chan int64, 1)
	go func() {
		_, stat, err := conn.Exists(node)
		if err != nil {
			fail(err)
		}
		token <- stat.Czxid
	}()
	return token
}

// startRun writes the run's entry.
func startRun(conn *zk.Conn, path string, token int64) *ledgerRun {
	data, stat, err := conn.Get(path)
	if err != nil {
		fail(err)
	}
	r := &ledgerRun{conn: conn, path: path}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.runs); err != nil {
			fail(err)
		}
	}
	host, _ := os.Hostname()
	r.runs = append(r.runs, entry{Host: host, Pid: os.Getpid(), Token: token, Start: time.Now()})
	r.runs = r.runs[max(0, len(r.runs)-ledgerSize):]
	stat, err = conn.Set(path, r.marshal(), stat.Version)
	if err != nil {
		fail(err)
	}
	r.version = stat.Version
	return r
}

// complete ends the run's entry, with status 0 (a command that fails ends
// the program first), and deletes the contender in one transaction.
func (r *ledgerRun) complete(contender string) {
	end, status := time.Now(), 0
	last := &r.runs[len(r.runs)-1]
	last.End, last.Exit = &end, &status
	if _, err := r.conn.Multi(
		&zk.SetDataRequest{Path: r.path, Data: r.marshal(), Version: r.version},
		&zk.DeleteRequest{Path: contender, Version: -1},
	); err != nil {
		fail(err)
	}
}

func (r *ledgerRun) marshal() []byte {
	b, err := json.Marshal(r.runs)
	if err != nil {
		fail(err)
	}
	return b
}
