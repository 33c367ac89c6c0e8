package chaostest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

var zooLocked, zooChaos string

// Main runs a test binary's tests, with zoo-locked and zoo-chaos built from
// the tree first unless -short; call it from TestMain.
func Main(m *testing.M) int {
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
	if zooLocked, zooChaos, err = chaos.BuildBinaries(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if e := shared.ensemble; e != nil {
		if code != 0 {
			logs := filepath.Join(os.TempDir(), "zoo-locked-shared-ensemble-logs")
			_ = e.SaveLogs(context.Background(), logs) // best effort: the failure is already reported
			fmt.Printf("server logs kept in %s\n", logs)
		}
		if err := e.Close(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "close ensemble: %v\n", err)
		}
	}
	return code
}

var shared struct {
	once     sync.Once
	ensemble *ensemble.Ensemble
	err      error
}

// SharedEnsemble is one ensemble for all the tests of a test binary that
// runs Main: started at first use (each test then uses lock names and
// client nodes of its own), closed when the tests end.
func SharedEnsemble(t testing.TB) *ensemble.Ensemble {
	t.Helper()
	Binaries(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
		defer cancel()
		shared.ensemble, shared.err = ensemble.NewEnsemble(ctx, ensemble.Options{})
		if shared.err == nil {
			fmt.Printf("shared ensemble: backend %s\n", shared.ensemble.Backend())
		}
	})
	if shared.err != nil {
		t.Fatalf("start the shared ensemble: %v", shared.err)
	}
	return shared.ensemble
}

// Binaries are the zoo-locked and zoo-chaos that Main built; under -short
// the test is skipped.
func Binaries(t testing.TB) (zooLockedPath, zooChaosPath string) {
	t.Helper()
	if zooLocked == "" {
		t.Skip("runs the built binaries against real ensembles: make test")
	}
	return zooLocked, zooChaos
}

// Quiet keeps go-zookeeper's connection chatter out of test logs.
type Quiet struct{}

// Printf implements zk.Logger.
func (Quiet) Printf(string, ...any) {}

// Connect opens a plain client on connectString, closed with the test; it
// returns once the session is established.
func Connect(t testing.TB, connectString string) *zk.Conn {
	t.Helper()
	conn, events, err := zk.Connect(strings.Split(connectString, ","), 4*time.Second, zk.WithLogger(Quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return conn
			}
		case <-timeout:
			t.Fatalf("no session from %s within 20s", connectString)
		}
	}
}

// Contenders lists, in queue order, the children of a lock path: nothing
// but contenders lives there, each ending in its ten-digit sequence.
func Contenders(t testing.TB, c *zk.Conn, parent string) []string {
	t.Helper()
	children, _, err := c.Children(parent)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		t.Fatal(err)
	}
	seq := func(n string) string { return n[max(0, len(n)-10):] }
	slices.SortFunc(children, func(a, b string) int { return strings.Compare(seq(a), seq(b)) })
	return children
}

// Eventually polls cond every 20 ms until it holds, and fails the test
// naming what did not happen once within has passed. It returns how long
// it took.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// Log is a writer whose lines go to the test log.
func Log(t testing.TB) io.Writer { return logWriter{t} }

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Buffer is a log sink that tests read while goroutines write to it.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
