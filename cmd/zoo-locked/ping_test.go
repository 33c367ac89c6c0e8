package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
)

// pingLog is a loopback check endpoint that records every ping.
type pingLog struct {
	mu     sync.Mutex
	pings  []string // path?query
	bodies []string // each ping's body, by the same index
	hang   chan struct{}
}

func newPingLog(t *testing.T, hang bool) (*pingLog, string) {
	t.Helper()
	p := &pingLog{}
	if hang {
		p.hang = make(chan struct{})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // a short body is still recorded
		p.mu.Lock()
		p.pings = append(p.pings, r.URL.Path+"?"+r.URL.RawQuery)
		p.bodies = append(p.bodies, string(body))
		p.mu.Unlock()
		if p.hang != nil {
			select {
			case <-p.hang:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte("OK"))
	}))
	t.Cleanup(func() {
		if p.hang != nil {
			close(p.hang)
		}
		srv.Close()
	})
	return p, srv.URL + "/ping/abc"
}

func (p *pingLog) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.pings...)
}

func (p *pingLog) allBodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...)
}

// TestPingsFromTheNodeThatRan: three nodes fire a --once-per job; the node
// that runs it sends one start and one success, with its run id; the
// nodes that skip send nothing.
func TestPingsFromTheNodeThatRan(t *testing.T) {
	pings, url := newPingLog(t, false)
	var ws []*wrapper
	for _, node := range []string{"ping-a", "ping-b", "ping-c"} {
		ws = append(ws, startWrapper(t, node, nil, "--once-per", "1h", "--ping-url", url, "pinged", "--", "sleep", "0.3"))
	}
	for _, w := range ws {
		if code := w.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("exit %d\n%s", code, w.stderr)
		}
	}
	got := pings.all()
	ran := runs(t, "pinged")
	if len(ran) != 1 {
		t.Fatalf("%d runs, want 1", len(ran))
	}
	rid := "rid=" + fleet.RunID("pinged", ran[0].Token)
	if len(got) != 2 || got[0] != "/ping/abc/start?"+rid || got[1] != "/ping/abc?"+rid {
		t.Fatalf("pings %q, want exactly /start then success, with %s", got, rid)
	}
}

// TestPingOfAFencedRun: a holder cut from the ensemble sends start, then
// 79 once it is healed.
func TestPingOfAFencedRun(t *testing.T) {
	pings, url := newPingLog(t, false)
	holder := startWrapper(t, "ping-fence", nil, "--ping-url", url, "ping-fenced", "--", "sleep", "60")
	eventually(t, 10*time.Second, "start ping", func() bool { return len(pings.all()) == 1 })
	node, err := chaostest.SharedEnsemble(t).Node("ping-fence")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Heal(context.Background()) })
	if err := node.Cut(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := holder.wait(t, 3*testSession); code != 79 {
		t.Fatalf("exit %d, want 79\n%s", code, holder.stderr)
	}
	got := pings.all()
	if len(got) != 2 || !strings.HasPrefix(got[0], "/ping/abc/start?rid=") || !strings.HasPrefix(got[1], "/ping/abc/79?rid=") {
		t.Fatalf("pings %q, want /start then /79", got)
	}
}

// TestHangingPingDelaysTheJobAtMostItsTimeout: an endpoint that never
// answers holds the job back by the ping's timeout, not more, and does not
// change the exit status.
func TestHangingPingDelaysTheJobAtMostItsTimeout(t *testing.T) {
	_, url := newPingLog(t, true)
	w := newWitness(t)
	began := w.Since()
	wr := startWrapper(t, "ping-hang", []string{w.jobEnv("hang", 100*time.Millisecond, 0)}, append([]string{"--ping-url", url, "ping-hang"}, selfJob()...)...)
	iv := w.nextStart(t, 15*time.Second)
	if delay := iv.Start - began; delay > 5*time.Second+2*time.Second {
		t.Fatalf("the job started %v after the wrapper, want at most the 5 s ping timeout and the lock", delay)
	}
	_ = wr // its exit waits for the pings' retries, which the cleanup cuts short
}

// TestFinalPingCarriesTheOutputsTail: with --ping-url, the job's stdout
// and stderr still reach the wrapper's, and the final ping's body is
// their tail as they interleaved, cut to --ping-body-limit.
func TestFinalPingCarriesTheOutputsTail(t *testing.T) {
	pings, url := newPingLog(t, false)
	const job = "echo first-out; sleep 0.1; echo why-it-failed >&2; sleep 0.1; echo last-out; exit 3"
	wr := startWrapper(t, "body", nil, "--ping-url", url, "ping-body", "--", "sh", "-c", job)
	if code := wr.wait(t, 20*time.Second); code != 3 {
		t.Fatalf("exit %d, want the job's 3\n%s", code, wr.stderr)
	}
	if got := wr.stdout.String(); got != "first-out\nlast-out\n" {
		t.Fatalf("the wrapper's stdout got %q, want the job's stdout as it was", got)
	}
	if !strings.Contains(wr.stderr.String(), "why-it-failed\n") {
		t.Fatalf("the wrapper's stderr lacks the job's:\n%s", wr.stderr)
	}
	got, bodies := pings.all(), pings.allBodies()
	if len(got) != 2 || !strings.HasPrefix(got[1], "/ping/abc/3?") || bodies[1] != "first-out\nwhy-it-failed\nlast-out\n" {
		t.Fatalf("pings %q with bodies %q: want /3 carrying the output in order", got, bodies)
	}
	if bodies[0] != "" {
		t.Fatalf("the start ping carried %q", bodies[0])
	}
	wr = startWrapper(t, "body", nil, "--ping-url", url, "--ping-body-limit", "9", "ping-body", "--", "sh", "-c", job)
	if code := wr.wait(t, 20*time.Second); code != 3 {
		t.Fatalf("exit %d", code)
	}
	if bodies := pings.allBodies(); bodies[len(bodies)-1] != "last-out\n" {
		t.Fatalf("body %q with --ping-body-limit 9, want the last 9 bytes", bodies[len(bodies)-1])
	}
}

// TestNoPipeWithoutPingURL: without --ping-url the job writes straight to
// the wrapper's stdout and stderr; with it, through a pipe.
func TestNoPipeWithoutPingURL(t *testing.T) {
	_, url := newPingLog(t, false)
	const job = "readlink /proc/self/fd/1; readlink /proc/self/fd/2 >&2"
	for _, pinged := range []bool{false, true} {
		dir := t.TempDir()
		outPath, errPath := filepath.Join(dir, "out"), filepath.Join(dir, "err")
		outFile, err := os.Create(outPath)
		if err != nil {
			t.Fatal(err)
		}
		errFile, err := os.Create(errPath)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"--zk", chaostest.SharedEnsemble(t).ConnectString(), "pipe-or-not", "--", "sh", "-c", job}
		if pinged {
			args = append([]string{"--ping-url", url}, args...)
		}
		cmd := exec.Command(zooLocked(t), args...)
		cmd.Stdout, cmd.Stderr = outFile, errFile
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		outFile.Close()
		errFile.Close()
		out, _ := os.ReadFile(outPath)
		errOut, _ := os.ReadFile(errPath)
		direct := strings.TrimSpace(string(out)) == outPath && strings.TrimSpace(string(errOut)) == errPath
		piped := strings.HasPrefix(string(out), "pipe:") && strings.HasPrefix(string(errOut), "pipe:")
		if (!pinged && !direct) || (pinged && !piped) {
			t.Fatalf("--ping-url given: %v; the job's stdout was %q, its stderr %q", pinged, out, errOut)
		}
	}
}
