package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/lock"
)

// runOnce runs one wrapper on node to completion and returns its exit code.
func runOnce(t *testing.T, w *witness, node string, code int, length time.Duration, args ...string) int {
	t.Helper()
	wr := startWrapper(t, node, []string{w.jobEnv(node, length, code)}, append(args, selfJob()...)...)
	return wr.wait(t, 20*time.Second)
}

func TestOncePerRunsOncePerSlot(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "once-a", 0, 100*time.Millisecond, "--once-per", "1h", "once-ok"); code != 0 {
		t.Fatalf("first run exit %d", code)
	}
	second := startWrapper(t, "once-b", []string{w.jobEnv("once-b", 100*time.Millisecond, 0)}, append([]string{"--once-per", "1h", "once-ok"}, selfJob()...)...)
	if code := second.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("second node exit %d", code)
	}
	if n := len(w.done()); n != 1 {
		t.Fatalf("%d runs in one slot, want 1", n)
	}
	if !strings.Contains(second.stderr.String(), "already ran in this slot") {
		t.Fatalf("skip not logged: %s", second.stderr)
	}
}

func TestOncePerFailedRunIsRetried(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "retry-a", 1, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 1 {
		t.Fatalf("failing run exit %d, want 1", code)
	}
	if code := runOnce(t, w, "retry-b", 0, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 0 {
		t.Fatalf("retry exit %d", code)
	}
	if code := runOnce(t, w, "retry-c", 0, 100*time.Millisecond, "--once-per", "1h", "once-retry"); code != 0 {
		t.Fatalf("third exit %d", code)
	}
	if n := len(w.done()); n != 2 {
		t.Fatalf("%d runs, want 2 (the failed one and its retry)", n)
	}
	c := zkClient(t)
	st, err := lock.Inspect(c, "/zoo-locked", "once-retry")
	if err != nil || st.LastRun == nil || st.LastRun.Host == "" || st.LastRun.Token <= 0 {
		t.Fatalf("last run %+v, %v", st.LastRun, err)
	}
}

// TestOncePerRunBelongsToItsStartSlot: a run that crosses a slot boundary
// counts for the slot it started in, so the next slot runs again.
func TestOncePerRunBelongsToItsStartSlot(t *testing.T) {
	const period = 3 * time.Second
	w := newWitness(t)
	// Start 1 s before a boundary, with a 2 s job.
	_, next := lock.Every{Period: period}.Slot(time.Now())
	if time.Until(next) < 1500*time.Millisecond {
		next = next.Add(period)
	}
	time.Sleep(time.Until(next.Add(-time.Second))) // aligning to the wall-clock slot is the point
	if code := runOnce(t, w, "slot-a", 0, 2*time.Second, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("first exit %d", code)
	}
	if time.Now().After(next.Add(period - 500*time.Millisecond)) {
		t.Fatal("machine too slow for the slot test")
	}
	if code := runOnce(t, w, "slot-b", 0, 100*time.Millisecond, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("second exit %d", code)
	}
	if code := runOnce(t, w, "slot-c", 0, 100*time.Millisecond, "--once-per", period.String(), "once-slot"); code != 0 {
		t.Fatalf("third exit %d", code)
	}
	if n := len(w.done()); n != 2 {
		t.Fatalf("%d runs, want 2: the crossing run (its start slot) and one in the next slot", n)
	}
}

func TestLimitTwoOfSix(t *testing.T) {
	w := newWitness(t)
	var ws []*wrapper
	for i := range 6 {
		node := "limit" + strconv.Itoa(i%3)
		ws = append(ws, startWrapper(t, node, []string{w.jobEnv(node, 500*time.Millisecond, 0)}, append([]string{"--limit", "2", "limit"}, selfJob()...)...))
	}
	for _, wr := range ws {
		if code := wr.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, wr.stderr)
		}
	}
	if m := w.maxConcurrent(); m != 2 {
		t.Fatalf("%d jobs at once with --limit 2, want 2", m)
	}
	if n := len(w.done()); n != 6 {
		t.Fatalf("%d of 6 completed", n)
	}
	assertNoContenders(t, "limit")
}

func TestStatusAndList(t *testing.T) {
	holder := startWrapper(t, "status", nil, "status-lock", "--", "sleep", "30")
	c := zkClient(t)
	eventually(t, 10*time.Second, "holder", func() bool { return len(contenders(t, c, "status-lock")) == 1 })
	w1 := startWrapper(t, "status", nil, "status-lock", "--", "true")
	eventually(t, 10*time.Second, "waiter 1", func() bool { return len(contenders(t, c, "status-lock")) == 2 })
	w2 := startWrapper(t, "status", nil, "status-lock", "--", "echo", "second")
	eventually(t, 10*time.Second, "waiter 2", func() bool { return len(contenders(t, c, "status-lock")) == 3 })

	out, code := inspectCmd(t, "status", "status-lock")
	if code != 0 || !strings.Contains(out, "status-lock: held") ||
		!strings.Contains(out, "pid="+strconv.Itoa(holder.cmd.Process.Pid)) ||
		strings.Index(out, "pid="+strconv.Itoa(w1.cmd.Process.Pid)) > strings.Index(out, "pid="+strconv.Itoa(w2.cmd.Process.Pid)) {
		t.Fatalf("status exit %d:\n%s", code, out)
	}
	out, code = inspectCmd(t, "--json", "status", "status-lock")
	var st lock.LockStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || len(st.Holders) != 1 || len(st.Waiters) != 2 ||
		st.Holders[0].Holder.Pid != holder.cmd.Process.Pid || strings.Join(st.Waiters[1].Holder.Command, " ") != "echo second" {
		t.Fatalf("status --json exit %d, %v:\n%s", code, err, out)
	}
	out, code = inspectCmd(t, "list")
	if code != 0 || !strings.Contains(out, "status-lock") || !strings.Contains(out, strconv.Itoa(holder.cmd.Process.Pid)) {
		t.Fatalf("list exit %d:\n%s", code, out)
	}
	out, code = inspectCmd(t, "--json", "list")
	var all []lock.LockStatus
	if err := json.Unmarshal([]byte(out), &all); err != nil || code != 0 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}

	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*wrapper{holder, w1, w2} {
		w.wait(t, 10*time.Second)
	}
	if out, code := inspectCmd(t, "status", "status-lock"); code != 1 || !strings.Contains(out, "free") {
		t.Fatalf("status after release: exit %d\n%s", code, out)
	}
	if _, code := inspectCmd(t, "status", "a/b"); code != 64 {
		t.Fatalf("status of a bad name: exit %d", code)
	}
}

func inspectCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--zk", ensemble.ConnectString()}, args...)...)
	out, _ := cmd.Output() // the exit code is part of the result
	return string(out), cmd.ProcessState.ExitCode()
}

// TestAuthenticatedLockCannotBeDeletedOrSquatted: with --auth-file the
// lock's znodes are the tenant's own; others can read them, not delete a
// holder's znode nor queue under the lock.
func TestAuthenticatedLockCannotBeDeletedOrSquatted(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "auth")
	theirs := filepath.Join(dir, "other-auth")
	if err := os.WriteFile(mine, []byte("billing:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("intruder:guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	holder := startWrapper(t, "auth", nil, "--auth-file", mine, "--log-level", "debug", "authed", "--", "sleep", "30")
	c := zkClient(t)
	var names []string
	eventually(t, 10*time.Second, "authenticated holder", func() bool { names = contenders(t, c, "authed"); return len(names) == 1 })
	if err := c.Delete("/zoo-locked/authed/"+names[0], -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated delete of the holder's znode: %v, want ErrNoAuth", err)
	}
	if _, err := c.Create("/zoo-locked/authed/_c_squat-lock-", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated squat: %v, want ErrNoAuth", err)
	}
	other := startWrapper(t, "auth", nil, "--auth-file", theirs, "--no-wait", "authed", "--", "true")
	if code := other.wait(t, 10*time.Second); code != 70 || !strings.Contains(other.stderr.String(), "other credentials") {
		t.Fatalf("other tenant: exit %d, stderr %s", code, other.stderr)
	}
	if strings.Contains(holder.stderr.String(), "s3cret") || strings.Contains(other.stderr.String(), "guess") {
		t.Fatal("a password reached the logs")
	}
	if out, code := inspectCmd(t, "status", "authed"); code != 0 || !strings.Contains(out, "held") {
		t.Fatalf("status by another tenant: exit %d\n%s", code, out)
	}
	same := startWrapper(t, "auth", nil, "--auth-file", mine, "--no-wait", "authed", "--", "true")
	if code := same.wait(t, 10*time.Second); code != 75 {
		t.Fatalf("same tenant while held: exit %d, want busy; stderr %s", code, same.stderr)
	}
}

// TestEmptyLockParentIsRemoved: lock parents are container znodes, which
// the server deletes once their last contender is gone.
func TestEmptyLockParentIsRemoved(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "reap", 0, 100*time.Millisecond, "reaped"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	c := zkClient(t)
	eventually(t, 10*time.Second, "empty parent removed", func() bool {
		exists, _, err := c.Exists("/zoo-locked/reaped")
		return err == nil && !exists
	})
}
