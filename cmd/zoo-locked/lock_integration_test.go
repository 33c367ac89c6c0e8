package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/lock"
)

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func zkClient(t *testing.T) *zk.Conn {
	t.Helper()
	requireEnsemble(t)
	conn, _, err := zk.Connect(strings.Split(ensemble.ConnectString(), ","), testSession, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}

func contenders(t *testing.T, c *zk.Conn, name string) []string {
	t.Helper()
	children, _, err := c.Children("/zoo-locked/" + name)
	if err != nil && err != zk.ErrNoNode {
		t.Fatal(err)
	}
	return lock.SortContenders(children)
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
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

func assertNoContenders(t *testing.T, name string) {
	t.Helper()
	c := zkClient(t)
	eventually(t, testSession+time.Second, "no znode left under "+name, func() bool { return len(contenders(t, c, name)) == 0 })
}

func TestExclusionFiveContenders(t *testing.T) {
	w := newWitness(t)
	var wrappers []*wrapper
	for i := range 5 {
		node := "excl" + strconv.Itoa(i)
		wrappers = append(wrappers, startWrapper(t, node, []string{w.jobEnv(node, 300*time.Millisecond, 0)}, append([]string{"exclusion"}, selfJob()...)...))
	}
	for _, wr := range wrappers {
		if code := wr.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("wrapper exit %d; stderr:\n%s", code, wr.stderr)
		}
	}
	if got := w.maxConcurrent(); got != 1 {
		t.Fatalf("S1: %d jobs ran at once", got)
	}
	ivs := w.done()
	if len(ivs) != 5 {
		t.Fatalf("%d jobs completed, want 5", len(ivs))
	}
	seen := map[int64]bool{}
	for _, iv := range ivs {
		if iv.token <= 0 || seen[iv.token] {
			t.Fatalf("S2: token %d missing or reused: %+v", iv.token, ivs)
		}
		seen[iv.token] = true
	}
	assertNoContenders(t, "exclusion")
}

func TestExitCodes(t *testing.T) {
	requireEnsemble(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	holder := startWrapper(t, "codes-holder", nil, "codes-busy", "--", "sleep", "30")
	c := zkClient(t)
	eventually(t, 10*time.Second, "holder acquired", func() bool { return len(contenders(t, c, "codes-busy")) == 1 })
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"child exit status", []string{"codes", "--", "sh", "-c", "exit 3"}, 3},
		{"child success without --", []string{"codes", "true"}, 0},
		{"child killed by signal", []string{"codes", "--", "sh", "-c", "kill -9 $$"}, 128 + 9},
		{"shell opt-in", []string{"--shell", "codes", "--", "exit 4"}, 4},
		{"command not found", []string{"codes", "--", "no-such-command-zl"}, 127},
		{"command not executable", []string{"codes", "--", notExec}, 126},
		{"unknown flag", []string{"--bogus", "codes", "--", "true"}, 64},
		{"missing command", []string{"codes"}, 64},
		{"bad name", []string{"a/b", "--", "true"}, 64},
		{"dot-dot name", []string{"..", "--", "true"}, 64},
		{"zero duration", []string{"--kill-grace", "0s", "codes", "--", "true"}, 64},
		{"busy with --no-wait", []string{"--no-wait", "codes-busy", "--", "true"}, 75},
		{"busy with own exit code", []string{"--no-wait", "--busy-exit-code", "0", "codes-busy", "--", "true"}, 0},
		{"wait timeout", []string{"--wait-timeout", "500ms", "codes-busy", "--", "true"}, 75},
		{"max runtime stops the job", []string{"--max-runtime", "300ms", "codes", "--", "sleep", "30"}, 128 + 15},
		{"version", []string{"--version"}, 0},
		{"help", []string{"--help"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := startWrapper(t, "codes", nil, tc.args...)
			if code := w.wait(t, 20*time.Second); code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, w.stderr)
			}
		})
	}
	t.Run("unreachable ensemble", func(t *testing.T) {
		start := time.Now()
		code := runBinary(binary, "--zk", "127.0.0.1:1", "--connect-timeout", "1s", "codes", "--", "true")
		if code != 69 {
			t.Fatalf("exit %d, want 69", code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("unreachable ensemble took %v to report", d)
		}
	})
	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	holder.wait(t, 10*time.Second)
	assertNoContenders(t, "codes")
	assertNoContenders(t, "codes-busy")
}

func TestSignalForwarded(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "got-term")
	job := "trap 'echo term > " + marker + "; exit 7' TERM; while true; do sleep 0.05; done"
	w := startWrapper(t, "signals", nil, "signals", "--", "sh", "-c", job)
	c := zkClient(t)
	eventually(t, 10*time.Second, "acquired", func() bool { return len(contenders(t, c, "signals")) == 1 })
	time.Sleep(200 * time.Millisecond) // let sh install its trap; no event to wait on
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := w.wait(t, 10*time.Second); code != 7 {
		t.Fatalf("exit %d, want the job's 7; stderr:\n%s", code, w.stderr)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("job never saw SIGTERM: %v", err)
	}
	assertNoContenders(t, "signals")
}

// TestNoOrphansAfterWrapperSIGKILL: S3 and L1 with a grandchild that
// ignores SIGTERM and SIGHUP.
func TestNoOrphansAfterWrapperSIGKILL(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	job := `sh -c 'trap "" TERM HUP; echo $$ >> ` + pids + `; while true; do sleep 0.05; done' & echo $$ >> ` + pids + `; wait`
	w := startWrapper(t, "orphans", nil, "orphans", "--", "sh", "-c", job)
	var procs []int
	eventually(t, 10*time.Second, "job and grandchild started", func() bool {
		b, _ := os.ReadFile(pids)
		procs = procs[:0]
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(f)
			procs = append(procs, p)
		}
		return len(procs) == 2
	})
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	took := eventually(t, time.Second, "S3: job tree dead", func() bool {
		for _, p := range procs {
			if lock.Alive(p) {
				return false
			}
		}
		return true
	})
	t.Logf("job tree dead %v after the wrapper's SIGKILL", took)
	c := zkClient(t)
	eventually(t, testSession+time.Second-time.Since(killed), "L1: lock free within T+1s", func() bool {
		return len(contenders(t, c, "orphans")) == 0
	})
	t.Logf("lock free %v after the wrapper's SIGKILL (T=%v)", time.Since(killed), testSession)
}

// TestFenceBeforeExpiry: a holder cut from the ensemble kills its job
// before the waiter on another node is granted the lock.
func TestFenceBeforeExpiry(t *testing.T) {
	w := newWitness(t)
	ctx := context.Background()
	holder := startWrapper(t, "fence-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"fence"}, selfJob()...)...)
	first := waitStarted(t, w, 10*time.Second)
	waiter := startWrapper(t, "fence-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"fence"}, selfJob()...)...)
	c := zkClient(t)
	eventually(t, 10*time.Second, "waiter queued", func() bool { return len(contenders(t, c, "fence")) == 2 })
	nodeA, _ := ensemble.Node("fence-a")
	if err := nodeA.Cut(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodeA.Heal(ctx) })
	second := waitStarted(t, w, 3*testSession)
	if second.node != "b" || first.node != "a" {
		t.Fatalf("unexpected order: %+v then %+v", first, second)
	}
	if code := holder.wait(t, 5*time.Second); code != 79 {
		t.Fatalf("cut holder exit %d, want 79; stderr:\n%s", code, holder.stderr)
	}
	aEnd := w.endOf("a")
	if aEnd.IsZero() || !aEnd.Before(second.start) {
		t.Fatalf("S1: holder's job ended %v, waiter's started %v", aEnd, second.start)
	}
	t.Logf("holder's job died %v before the waiter's started", second.start.Sub(aEnd))
	if second.token <= first.token {
		t.Fatalf("S2: token %d after %d", second.token, first.token)
	}
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d; stderr:\n%s", code, waiter.stderr)
	}
	assertNoContenders(t, "fence")
}

// TestShortBlipRidesThrough: L3, a cut shorter than the fence deadline.
func TestShortBlipRidesThrough(t *testing.T) {
	w := newWitness(t)
	ctx := context.Background()
	holder := startWrapper(t, "blip", []string{w.jobEnv("a", 3*time.Second, 0)}, append([]string{"blip"}, selfJob()...)...)
	waitStarted(t, w, 10*time.Second)
	node, _ := ensemble.Node("blip")
	if err := node.Cut(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the fault's length is the point of the test
	if err := node.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if code := holder.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("L3: exit %d after a 1 s blip; stderr:\n%s", code, holder.stderr)
	}
	if n := len(w.done()); n != 1 {
		t.Fatalf("%d intervals, want 1", n)
	}
	assertNoContenders(t, "blip")
}

// TestReleaseWakesOneWaiter: L2 with 20 waiters. Each contender is watched
// by exactly one session (its successor) and nobody watches the parent's
// children, so a release notifies exactly one waiter.
func TestReleaseWakesOneWaiter(t *testing.T) {
	w := newWitness(t)
	const waiters = 20
	holder := startWrapper(t, "herd-holder", []string{w.jobEnv("holder", time.Minute, 0)}, append([]string{"--log-level", "debug", "herd"}, selfJob()...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("holder stderr:\n%s", holder.stderr)
		}
	})
	waitStarted(t, w, 10*time.Second)
	var queued []*wrapper
	for i := range waiters {
		node := "herd" + strconv.Itoa(i%3)
		queued = append(queued, startWrapper(t, node, []string{w.jobEnv(node, 100*time.Millisecond, 0)}, append([]string{"--log-level", "debug", "herd"}, selfJob()...)...))
	}
	c := zkClient(t)
	t.Cleanup(func() {
		if t.Failed() {
			for _, q := range queued {
				t.Logf("waiter stderr:\n%s", q.stderr)
			}
		}
	})
	eventually(t, 20*time.Second, "all waiters queued", func() bool { return len(contenders(t, c, "herd")) == waiters+1 })
	watchers := map[string]int{}
	eventually(t, 10*time.Second, "every waiter watching", func() bool {
		clear(watchers)
		for _, id := range ensemble.IDs() {
			out, err := fourLetter(ensemble.ClientAddr(id), "wchp")
			if err != nil {
				t.Fatal(err)
			}
			var current string
			for _, line := range strings.Split(out, "\n") {
				switch {
				case strings.HasPrefix(line, "/zoo-locked/herd"):
					current = line
				case strings.HasPrefix(line, "\t0x") && current != "":
					watchers[current]++
				}
			}
		}
		return len(watchers) >= waiters
	})
	if watchers["/zoo-locked/herd"] != 0 {
		t.Fatalf("L2: %d sessions watch the parent's children", watchers["/zoo-locked/herd"])
	}
	for p, k := range watchers {
		if k != 1 {
			t.Fatalf("L2: %s watched by %d sessions, want exactly 1", p, k)
		}
	}
	if len(watchers) != waiters {
		t.Fatalf("L2: %d znodes watched, want one per waiter (%d): %v", len(watchers), waiters, watchers)
	}
	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "all jobs done", func() bool { return len(w.done()) == waiters+1 })
	if m := w.maxConcurrent(); m != 1 {
		t.Fatalf("S1: %d at once", m)
	}
	assertNoContenders(t, "herd")
}

func TestHolderDataReadable(t *testing.T) {
	startWrapper(t, "data", nil, "holder-data", "--", "sleep", "30")
	c := zkClient(t)
	var names []string
	eventually(t, 10*time.Second, "acquired", func() bool { names = contenders(t, c, "holder-data"); return len(names) == 1 })
	data, _, err := c.Get("/zoo-locked/holder-data/" + names[0])
	if err != nil {
		t.Fatal(err)
	}
	var h lock.Holder
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("holder data %q: %v", data, err)
	}
	host, _ := os.Hostname()
	if h.Host != host || h.Pid <= 0 || strings.Join(h.Command, " ") != "sleep 30" || h.Version == "" || h.Start.IsZero() {
		t.Fatalf("holder data %+v", h)
	}
}

// TestResumedPastDeadlineKillsFirst: a wrapper frozen past its fence
// deadline kills its job as soon as it runs again, before anything else,
// and exits with the lock-lost code.
func TestResumedPastDeadlineKillsFirst(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "pause-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"pause"}, selfJob()...)...)
	waitStarted(t, w, 10*time.Second)
	waiter := startWrapper(t, "pause-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"pause"}, selfJob()...)...)
	if err := holder.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The session expires while the wrapper is frozen: the waiter gets the
	// lock (S1 cannot hold across a pause; S2 does).
	second := waitStarted(t, w, 3*testSession)
	if err := holder.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	if code := holder.wait(t, 5*time.Second); code != 79 {
		t.Fatalf("resumed holder exit %d, want 79; stderr:\n%s", code, holder.stderr)
	}
	aEnd := w.endOf("a")
	if aEnd.IsZero() || aEnd.Sub(resumed) > testKillGrace+500*time.Millisecond {
		t.Fatalf("holder's job ended %v after resume", aEnd.Sub(resumed))
	}
	if second.node != "b" {
		t.Fatalf("second holder %+v", second)
	}
	waiter.wait(t, 10*time.Second)
	assertNoContenders(t, "pause")
}

// TestJobEnvironment: the job is told which lock it holds, its fencing
// token, its znode and its session, and each matches the server's view.
func TestJobEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	startWrapper(t, "env", nil, "job-env", "--", "sh", "-c",
		`printf '%s\n%s\n%s\n%s\n' "$ZOOLOCKED_NAME" "$ZOOLOCKED_TOKEN" "$ZOOLOCKED_ZNODE" "$ZOOLOCKED_SESSION" > "$0.tmp" && mv "$0.tmp" "$0"; sleep 30`, out)
	var lines []string
	eventually(t, 10*time.Second, "job wrote its environment", func() bool {
		b, err := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return err == nil
	})
	if len(lines) != 4 {
		t.Fatalf("job environment %q: want name, token, znode, session", lines)
	}
	name, token, znode, session := lines[0], lines[1], lines[2], lines[3]
	_, stat, err := zkClient(t).Get(znode)
	if err != nil {
		t.Fatalf("ZOOLOCKED_ZNODE=%q: %v", znode, err)
	}
	if name != "job-env" || !strings.HasPrefix(znode, "/zoo-locked/job-env/") {
		t.Fatalf("ZOOLOCKED_NAME=%q ZOOLOCKED_ZNODE=%q", name, znode)
	}
	if token != strconv.FormatInt(stat.Czxid, 10) {
		t.Fatalf("ZOOLOCKED_TOKEN=%s, the znode's czxid is %d", token, stat.Czxid)
	}
	if session != fmt.Sprintf("0x%x", stat.EphemeralOwner) {
		t.Fatalf("ZOOLOCKED_SESSION=%s, the znode's owner is 0x%x", session, stat.EphemeralOwner)
	}
}
