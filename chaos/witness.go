package chaos

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// Witness is a loopback server that every job reports to, and the fenced
// resource of S2 (docs/DESIGN.md): it refuses any write whose token is lower than the
// highest it has accepted.
//
// Protocol, one line each way: the job sends "hello NODE TOKEN PID", then
// "write" lines; the witness answers each write with "ok" or "stale". The
// shim around a user's job sends "term" when the job is told to stop and
// "exit STATUS" when it ends, and expects no answer.
type Witness struct {
	ln    net.Listener
	epoch time.Time

	mu        sync.Mutex
	highest   int64
	owner     int // pid of the job that presented highest first
	intervals []checker.Interval
	open      map[int]*checker.Interval // by pid
	starts    []checker.Interval        // every job's start, in order
	started   chan struct{}             // closed and replaced at each start
	wg        sync.WaitGroup
	// unfenced records writes without refusing any: N holders of a
	// semaphore share no single token order (S2 is then token order only).
	unfenced bool
}

// NewWitness listens on a free loopback port.
func NewWitness(epoch time.Time) (*Witness, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("witness listen: %w", err)
	}
	w := &Witness{ln: ln, epoch: epoch, open: map[int]*checker.Interval{}, started: make(chan struct{})}
	go w.accept()
	return w, nil
}

// Unfence makes the witness record writes without refusing any: N
// holders of a --limit N semaphore share no single token order.
func (w *Witness) Unfence() {
	w.mu.Lock()
	w.unfenced = true
	w.mu.Unlock()
}

// Addr is where jobs connect.
func (w *Witness) Addr() string { return w.ln.Addr().String() }

func (w *Witness) accept() {
	for {
		conn, err := w.ln.Accept()
		if err != nil {
			return
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.serve(conn)
		}()
	}
}

// The witness protocol's words.
const (
	sayHello = "hello" // hello NODE TOKEN PID: a job starts
	sayWrite = "write" // a write to the fenced resource
	sayOK    = "ok"    // the write was accepted
	sayStale = "stale" // the write was refused: its token is stale
	sayTerm  = "term"  // the shim's job was told to stop
	sayExit  = "exit"  // exit STATUS: the shim's job ended
)

// hello is the line a job opens with.
func hello(node string) string {
	token := os.Getenv("ZOOLOCKED_TOKEN")
	if token == "" {
		token = "-" // a tool under --wrapper that passes none
	}
	return fmt.Sprintf("%s %s %s %d\n", sayHello, node, token, os.Getpid())
}

func (w *Witness) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewScanner(conn)
	if !r.Scan() {
		return
	}
	fields := strings.Fields(r.Text())
	if len(fields) != 4 || fields[0] != sayHello {
		return
	}
	token, _ := strconv.ParseInt(fields[2], 10, 64)
	pid, _ := strconv.Atoi(fields[3])
	iv := &checker.Interval{Node: fields[1], Token: token, Pid: pid, Start: time.Since(w.epoch)}
	w.mu.Lock()
	w.open[pid] = iv
	w.starts = append(w.starts, *iv)
	close(w.started)
	w.started = make(chan struct{})
	w.mu.Unlock()
	for r.Scan() {
		if r.Text() == sayTerm || strings.HasPrefix(r.Text(), sayExit+" ") {
			w.mu.Lock()
			if r.Text() == sayTerm && iv.TermAt == 0 {
				iv.TermAt = time.Since(w.epoch)
			} else if status, err := strconv.Atoi(strings.TrimPrefix(r.Text(), sayExit+" ")); err == nil {
				iv.Exit = &status
			}
			w.mu.Unlock()
			continue
		}
		if r.Text() != sayWrite {
			continue
		}
		w.mu.Lock()
		iv.Writes++
		ok := token >= w.highest || w.unfenced
		switch {
		case !ok:
			iv.Rejected++
		case token > w.highest:
			w.highest, w.owner = token, pid
		case token == w.highest && pid != w.owner && !w.unfenced:
			iv.StaleAccepted++
		}
		w.mu.Unlock()
		reply := sayOK + "\n"
		if !ok {
			reply = sayStale + "\n"
		}
		if _, err := conn.Write([]byte(reply)); err != nil {
			break
		}
	}
	w.mu.Lock()
	iv.End = time.Since(w.epoch)
	delete(w.open, pid)
	w.intervals = append(w.intervals, *iv)
	w.mu.Unlock()
}

// HoldingSince names the node whose job holds the lock alone now, and
// when that job started; ok is false unless exactly one job runs.
func (w *Witness) HoldingSince() (node string, start time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open) != 1 {
		return "", 0, false
	}
	for _, iv := range w.open {
		return iv.Node, iv.Start, true
	}
	return "", 0, false
}

// Ended returns the intervals of the jobs that have ended so far.
func (w *Witness) Ended() []checker.Interval {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]checker.Interval(nil), w.intervals...)
}

// AwaitStart waits until the n-th job (counting from 1) has started, and
// returns its interval as it was at its start.
func (w *Witness) AwaitStart(n int, within time.Duration) (checker.Interval, error) {
	timeout := time.After(within)
	for {
		w.mu.Lock()
		if len(w.starts) >= n {
			iv := w.starts[n-1]
			w.mu.Unlock()
			return iv, nil
		}
		next := w.started
		w.mu.Unlock()
		select {
		case <-next:
		case <-timeout:
			return checker.Interval{}, fmt.Errorf("job %d did not start within %v (%d started)", n, within, len(w.starts))
		}
	}
}

// Since is now on the witness's clock.
func (w *Witness) Since() time.Duration { return time.Since(w.epoch) }

// Close stops listening, waits for open jobs' connections to end, and
// returns every interval recorded.
func (w *Witness) Close() []checker.Interval {
	w.ln.Close()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]checker.Interval(nil), w.intervals...)
}
