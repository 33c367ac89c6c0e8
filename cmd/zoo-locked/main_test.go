package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// The integration tests drive the built binary as real processes against
// one shared ensemble; each test uses lock names and client nodes of its
// own. The job they wrap is this test binary, reporting to a chaos.Witness.

// testSession is what every test wrapper requests and gets: the test
// ensemble grants up to 4 s.
const (
	testSession   = 4 * time.Second
	testKillGrace = 500 * time.Millisecond
)

func TestMain(m *testing.M) {
	if spec := os.Getenv("ZOOLOCKED_TEST_JOB"); spec != "" {
		os.Exit(testJob(spec))
	}
	os.Exit(chaostest.Main(m))
}

// testJob is the job the tests run under the wrapper: chaos.WitnessJob for
// the given length, then the given exit code.
//
//	ZOOLOCKED_TEST_JOB=witness-addr,node,length,exit-code
func testJob(spec string) int {
	parts := strings.Split(spec, ",")
	length, _ := time.ParseDuration(parts[2])
	code, _ := strconv.Atoi(parts[3])
	if status := chaos.WitnessJob(parts[0], parts[1], length, false); status != 0 {
		return status
	}
	return code
}

// witness is a chaos.Witness seen from one test: it hands out the jobs'
// starts in order.
type witness struct {
	*chaos.Witness
	taken int
}

func newWitness(t *testing.T) *witness {
	t.Helper()
	chaostest.SharedEnsemble(t)
	w, err := chaos.NewWitness(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return &witness{Witness: w}
}

// jobEnv is the environment that makes the wrapped test binary a job on
// node that runs for length and exits with code.
func (w *witness) jobEnv(node string, length time.Duration, code int) string {
	return fmt.Sprintf("ZOOLOCKED_TEST_JOB=%s,%s,%s,%d", w.Addr(), node, length, code)
}

// nextStart waits for the next job to start.
func (w *witness) nextStart(t *testing.T, within time.Duration) checker.Interval {
	t.Helper()
	iv, err := w.AwaitStart(w.taken+1, within)
	if err != nil {
		t.Fatal(err)
	}
	w.taken++
	return iv
}

// endOf is when node's last finished job ended (0 if none did).
func (w *witness) endOf(node string) time.Duration {
	var end time.Duration
	for _, iv := range w.Ended() {
		if iv.Node == node {
			end = iv.End
		}
	}
	return end
}

// wrapper is one zoo-locked process.
type wrapper struct {
	cmd            *exec.Cmd
	stdout, stderr *strings.Builder
	exited         chan struct{}
	code           int
}

// startWrapper runs zoo-locked with args through the given node's proxies.
func startWrapper(t *testing.T, node string, env []string, args ...string) *wrapper {
	t.Helper()
	return startWrapperAs(t, zooLocked(t), node, env, args...)
}

// startWrapperAs is startWrapper with the zoo-locked binary at path.
func startWrapperAs(t *testing.T, path, node string, env []string, args ...string) *wrapper {
	t.Helper()
	n, err := chaostest.SharedEnsemble(t).Node(node)
	if err != nil {
		t.Fatal(err)
	}
	return startWrapperOn(t, path, n.ConnectString(), node, env, args...)
}

// startWrapperOn is startWrapperAs against the servers of connectString.
func startWrapperOn(t *testing.T, path, connectString, node string, env []string, args ...string) *wrapper {
	t.Helper()
	full := append([]string{"--zk", connectString, "--session-timeout", testSession.String(),
		"--kill-grace", testKillGrace.String(), "--connect-timeout", "5s", "--log-level", "info"}, args...)
	cmd := exec.Command(path, full...)
	cmd.Env = append(os.Environ(), env...)
	w := &wrapper{cmd: cmd, stdout: &strings.Builder{}, stderr: &strings.Builder{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: w.stdout}, &lockedWriter{b: w.stderr}
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
		select {
		case <-w.exited:
		case <-time.After(10 * time.Second):
			// Killed, the wrapper's own exit cannot wait on anything: a
			// wait here means its stderr is still held open by a process
			// of the job's tree that outlived it (S3).
			t.Errorf("S3: zoo-locked on %s still not reaped 10s after SIGKILL: its job's tree outlived it", node)
		}
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

// zkClient is a plain client on the shared ensemble.
func zkClient(t *testing.T) *zk.Conn {
	t.Helper()
	return chaostest.Connect(t, chaostest.SharedEnsemble(t).ConnectString())
}

func contenders(t *testing.T, c *zk.Conn, name string) []string {
	t.Helper()
	return chaostest.Contenders(t, c, "/zoo-locked/"+name)
}

var eventually = chaostest.Eventually

func assertNoContenders(t *testing.T, name string) {
	t.Helper()
	c := zkClient(t)
	eventually(t, testSession+time.Second, "no znode left under "+name, func() bool { return len(contenders(t, c, name)) == 0 })
}

func fourLetter(addr, word string) (string, error) {
	return ensemble.FourLetterWord(context.Background(), addr, word)
}

// zooLocked is the binary under test.
func zooLocked(t *testing.T) string {
	t.Helper()
	path, _ := chaostest.Binaries(t)
	return path
}

// runBinary runs zoo-locked to completion and returns its exit code.
func runBinary(t *testing.T, args ...string) int {
	t.Helper()
	cmd := exec.Command(zooLocked(t), args...)
	_ = cmd.Run() // the exit code is the result
	return cmd.ProcessState.ExitCode()
}
