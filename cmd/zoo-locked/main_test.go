package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"

	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

// The integration tests drive the built binary as real processes against
// one real ensemble; each test uses lock names and client nodes of its own.
var (
	binary   string
	ensemble *chaos.Ensemble
)

// testSession is what every test wrapper requests and gets: the test
// ensemble grants up to 4 s.
const (
	testSession   = 4 * time.Second
	testKillGrace = 500 * time.Millisecond
)

func TestMain(m *testing.M) {
	if os.Getenv("ZOOLOCKED_TEST_JOB") != "" {
		os.Exit(testJob())
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "zoo-locked-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binary, _, err = chaos.BuildBinaries(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), chaostest.StartupTimeout)
	ensemble, err = chaos.NewEnsemble(ctx, chaos.Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "start ensemble: %v\n", err)
		return 1
	}
	fmt.Printf("ensemble backend: %s\n", ensemble.Backend())
	code := m.Run()
	if code != 0 {
		logs := filepath.Join(os.TempDir(), "zoo-locked-cmd-test-logs")
		_ = ensemble.SaveLogs(context.Background(), logs) // best effort: the failure is already reported
		fmt.Printf("server logs kept in %s\n", logs)
	}
	if err := ensemble.Close(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "close ensemble: %v\n", err)
	}
	return code
}

// testJob is the job the tests run under the wrapper: it reports to the
// witness for as long as it lives, then exits as told.
//
//	ZOOLOCKED_TEST_JOB=witness-addr,node,duration,exit-code
func testJob() int {
	parts := strings.Split(os.Getenv("ZOOLOCKED_TEST_JOB"), ",")
	d, _ := time.ParseDuration(parts[2])
	code, _ := strconv.Atoi(parts[3])
	conn, err := net.Dial("tcp", parts[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "job: witness:", err)
		return 99
	}
	fmt.Fprintf(conn, "%s %s %d\n", parts[1], os.Getenv("ZOOLOCKED_TOKEN"), os.Getpid())
	time.Sleep(d)
	conn.Close()
	return code
}

// witness records each job's interval on one clock: from its connection to
// the moment the connection drops (a killed job's socket closes at once).
type witness struct {
	ln        net.Listener
	mu        sync.Mutex
	running   int
	maxAtOnce int
	intervals []interval
	started   chan interval
}

type interval struct {
	node       string
	token      int64
	start, end time.Time
}

// requireEnsemble skips only under -short (make test-short); make test
// always has the ensemble, and a failed start fails TestMain.
func requireEnsemble(t *testing.T) {
	t.Helper()
	if ensemble == nil {
		t.Skip("integration test: needs the ensemble (make test)")
	}
}

func newWitness(t *testing.T) *witness {
	t.Helper()
	requireEnsemble(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &witness{ln: ln, started: make(chan interval, 64)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go w.serve(conn)
		}
	}()
	return w
}

func (w *witness) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return
	}
	var iv interval
	fmt.Sscanf(line, "%s %d", &iv.node, &iv.token)
	iv.start = time.Now()
	w.mu.Lock()
	w.running++
	w.maxAtOnce = max(w.maxAtOnce, w.running)
	w.mu.Unlock()
	w.started <- iv
	_, _ = r.ReadString('\n') // returns when the job's socket closes
	iv.end = time.Now()
	w.mu.Lock()
	w.running--
	w.intervals = append(w.intervals, iv)
	w.mu.Unlock()
}

func (w *witness) jobEnv(node string, d time.Duration, code int) string {
	return fmt.Sprintf("ZOOLOCKED_TEST_JOB=%s,%s,%s,%d", w.ln.Addr(), node, d, code)
}

// endOf is when node's last finished job ended (zero if none did).
func (w *witness) endOf(node string) time.Time {
	var end time.Time
	for _, iv := range w.done() {
		if iv.node == node {
			end = iv.end
		}
	}
	return end
}

func (w *witness) maxConcurrent() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxAtOnce
}

func (w *witness) done() []interval {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]interval(nil), w.intervals...)
}

// wrapper is one zoo-locked process.
type wrapper struct {
	cmd    *exec.Cmd
	stderr *strings.Builder
	exited chan struct{}
	code   int
}

// startWrapper runs zoo-locked with args through the given node's proxies.
func startWrapper(t *testing.T, node string, env []string, args ...string) *wrapper {
	t.Helper()
	requireEnsemble(t)
	n, err := ensemble.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	full := append([]string{"--zk", n.ConnectString(), "--session-timeout", testSession.String(),
		"--kill-grace", testKillGrace.String(), "--connect-timeout", "5s", "--log-level", "info"}, args...)
	cmd := exec.Command(binary, full...)
	cmd.Env = append(os.Environ(), env...)
	w := &wrapper{cmd: cmd, stderr: &strings.Builder{}, exited: make(chan struct{})}
	cmd.Stderr = &lockedWriter{b: w.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait() // the exit code is read from ProcessState
		w.code = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			w.code = 128 + int(ws.Signal())
		}
		close(w.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already gone in a passing test
		<-w.exited
	})
	return w
}

func (w *wrapper) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-w.exited:
		return w.code
	case <-time.After(within):
		t.Fatalf("wrapper still running after %v; stderr:\n%s", within, w.stderr)
		return -1
	}
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// selfJob is the argv that runs this test binary as the witness job.
func selfJob() []string {
	return []string{"--", os.Args[0]}
}

func waitStarted(t *testing.T, w *witness, within time.Duration) interval {
	t.Helper()
	select {
	case iv := <-w.started:
		return iv
	case <-time.After(within):
		t.Fatalf("no job started within %v", within)
		return interval{}
	}
}

// exec runs the binary to completion and returns its exit code.
func runBinary(name string, args ...string) int {
	cmd := exec.Command(name, args...)
	_ = cmd.Run() // the exit code is the result
	return cmd.ProcessState.ExitCode()
}

func fourLetter(addr, word string) (string, error) {
	return chaos.FourLetterWord(context.Background(), addr, word)
}
