package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
)

// operatorCmd runs an operator's command (pause, resume, stop, …) to
// completion: its stdout, its stderr and its exit code.
func operatorCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	// A stop that nobody acts on would wait forever.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, zooLocked(t), append([]string{"--zk", chaostest.SharedEnsemble(t).ConnectString()}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, _ := cmd.Output() // the exit code is part of the result
	return string(out), stderr.String(), cmd.ProcessState.ExitCode()
}

// mustOperate runs an operator's command that must exit 0.
func mustOperate(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := operatorCmd(t, args...)
	if code != 0 {
		t.Fatalf("zoo-locked %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// advisedFix is the operator's command a wrapper's output advises
// ("… with: zoo-locked reset NAME", fix="zoo-locked resume NAME"), as
// arguments for operatorCmd; the test fails when it advises none.
func advisedFix(t *testing.T, output string) []string {
	t.Helper()
	all := advice.FindAllStringSubmatch(output, -1)
	if len(all) == 0 {
		t.Fatalf("no fix advised in:\n%s", output)
	}
	last := all[len(all)-1]
	return []string{last[1], last[2]}
}

var advice = regexp.MustCompile(`zoo-locked (reset|resume) ([A-Za-z0-9._-]+)`)

// followAdvice runs the fix output advises, which must succeed.
func followAdvice(t *testing.T, output string, extra ...string) string {
	t.Helper()
	return mustOperate(t, append(advisedFix(t, output), extra...)...)
}

func statusOf(t *testing.T, name string) fleet.LockStatus {
	t.Helper()
	out, _ := inspectCmd(t, "status", name, "--json")
	var st fleet.LockStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return st
}

// TestPauseSkipsEveryNodeUntilResumed: while paused, a firing on any
// node takes the lock, skips with exit 0 and says who paused it and why;
// status, list and check show the pause; resume lets the next firing run.
func TestPauseSkipsEveryNodeUntilResumed(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "pause-0", 0, 50*time.Millisecond, "--once-per", "1m", "paused-job"); code != 0 {
		t.Fatalf("first run: exit %d", code)
	}
	out := mustOperate(t, "pause", "paused-job", "--reason", "database restore")
	if !strings.Contains(out, "paused by") || !strings.Contains(out, "until resume") {
		t.Fatalf("pause said %q", out)
	}
	var skipped string
	for _, node := range []string{"pause-a", "pause-b"} {
		wr := startWrapper(t, node, []string{w.jobEnv(node, 50*time.Millisecond, 0)}, append([]string{"paused-job"}, selfJob()...)...)
		if code := wr.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("%s while paused: exit %d\n%s", node, code, wr.stderr)
		}
		if !strings.Contains(wr.stderr.String(), "paused; skipping") || !strings.Contains(wr.stderr.String(), "database restore") {
			t.Fatalf("%s: the skip does not say who paused it and why:\n%s", node, wr.stderr)
		}
		skipped = wr.stderr.String()
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d runs, want only the one before the pause", n)
	}
	st := statusOf(t, "paused-job")
	if st.Paused == nil || st.Paused.Reason != "database restore" || !strings.Contains(st.Paused.By, "@") || st.Paused.Until != nil {
		t.Fatalf("status shows the pause as %+v", st.Paused)
	}
	if text, _ := inspectCmd(t, "list"); !strings.Contains(text, "paused by") {
		t.Fatalf("list does not show the pause:\n%s", text)
	}
	if out, _, code := operatorCmd(t, "check", "paused-job"); code != 0 || !strings.Contains(out, "paused by") {
		t.Fatalf("check of a paused job: exit %d, %q; want OK saying paused", code, out)
	}
	var resumed struct {
		Lock      string       `json:"lock"`
		WasPaused *fleet.Pause `json:"was_paused"`
	}
	// The fix the skip advised, followed.
	if out := followAdvice(t, skipped, "--json"); json.Unmarshal([]byte(out), &resumed) != nil ||
		resumed.Lock != "paused-job" || resumed.WasPaused == nil || resumed.WasPaused.Reason != "database restore" {
		t.Fatalf("resume --json said %q", out)
	}
	if code := runOnce(t, w, "pause-c", 0, 50*time.Millisecond, "paused-job"); code != 0 || len(w.Ended()) != 2 {
		t.Fatalf("after resume: exit %d, %d runs, want the firing to run", code, len(w.Ended()))
	}
	if out := mustOperate(t, "resume", "paused-job"); !strings.Contains(out, "was not paused") {
		t.Fatalf("a second resume said %q", out)
	}
}

// TestPauseForEndsByItself: a pause with --for ends on the ensemble's
// clock, without a resume.
func TestPauseForEndsByItself(t *testing.T) {
	w := newWitness(t)
	if code := runOnce(t, w, "pausefor-0", 0, 50*time.Millisecond, "pause-for"); code != 0 {
		t.Fatalf("first run: exit %d", code)
	}
	mustOperate(t, "pause", "--for", "3s", "pause-for")
	st := statusOf(t, "pause-for")
	if st.Paused == nil || st.Paused.Until == nil || st.Paused.Until.Sub(st.Paused.Since) != 3*time.Second {
		t.Fatalf("status shows the pause as %+v", st.Paused)
	}
	if code := runOnce(t, w, "pausefor-a", 0, 50*time.Millisecond, "pause-for"); code != 0 || len(w.Ended()) != 1 {
		t.Fatalf("within the pause: exit %d, %d runs, want a skip", code, len(w.Ended()))
	}
	// The pause's end is a time on the ensemble's clock: nothing else to
	// wait on.
	time.Sleep(time.Until(st.Paused.Until.Add(200 * time.Millisecond)))
	if code := runOnce(t, w, "pausefor-b", 0, 50*time.Millisecond, "pause-for"); code != 0 || len(w.Ended()) != 2 {
		t.Fatalf("after the pause: exit %d, %d runs, want the firing to run", code, len(w.Ended()))
	}
	if st := statusOf(t, "pause-for"); st.Paused != nil {
		t.Fatalf("status still shows an ended pause: %+v", st.Paused)
	}
}

// TestStopEndsTheRunWhereverItRuns: stop, run from anywhere, ends the job
// on the node that holds the lock; its wrapper exits 80, the ledger says
// who stopped it, and the node waiting behind it starts only after the
// stopped job is dead (S4).
func TestStopEndsTheRunWhereverItRuns(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "stop-a", []string{w.jobEnv("stop-a", time.Minute, 0)}, append([]string{"stopped-job"}, selfJob()...)...)
	w.nextStart(t, 15*time.Second)
	waiter := startWrapper(t, "stop-b", []string{w.jobEnv("stop-b", 50*time.Millisecond, 0)}, append([]string{"stopped-job"}, selfJob()...)...)
	eventually(t, 10*time.Second, "a waiter queued", func() bool { return len(statusOf(t, "stopped-job").Waiters) == 1 })
	out, errOut, code := operatorCmd(t, "stop", "stopped-job")
	if code != 0 || !strings.Contains(out, "stopped the run on") || !strings.Contains(errOut, "stopping the run on") {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	if code := holder.wait(t, 10*time.Second); code != 80 {
		t.Fatalf("the stopped wrapper exited %d, want 80\n%s", code, holder.stderr)
	}
	next := w.nextStart(t, 15*time.Second)
	stopped := w.endOf("stop-a")
	if stopped == 0 || next.Start < stopped {
		t.Fatalf("S4: the waiter's job started at %v, the stopped job ended at %v", next.Start, stopped)
	}
	if code := waiter.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("waiter: exit %d\n%s", code, waiter.stderr)
	}
	r := runs(t, "stopped-job")
	if len(r) != 2 || r[0].State != "stopped" || r[0].Ending != fleet.EndStopped || !strings.HasPrefix(r[0].Reason, "stopped by ") {
		t.Fatalf("ledger %+v: want the first run stopped, by whom", r)
	}
	if out := mustOperate(t, "stop", "stopped-job"); !strings.Contains(out, "nothing running") {
		t.Fatalf("stop of a free lock said %q", out)
	}
	if out := mustOperate(t, "stop", "--json", "stopped-job"); strings.Join(strings.Fields(out), "") != `{"lock":"stopped-job","stopped":[]}` {
		t.Fatalf("stop --json of a free lock said %q", out)
	}
	if kids, _, err := zkClient(t).Children("/zoo-locked/stopped-job~"); err != nil || strings.Contains(strings.Join(kids, " "), "stop-") {
		t.Fatalf("records after the stop: %v, %v; want the request cleared", kids, err)
	}
}

// TestPauseAndStop: pause --stop stops the running job, and the node
// waiting behind it finds the pause and skips.
func TestPauseAndStop(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "pstop-a", []string{w.jobEnv("pstop-a", time.Minute, 0)}, append([]string{"pause-stop"}, selfJob()...)...)
	w.nextStart(t, 15*time.Second)
	waiter := startWrapper(t, "pstop-b", []string{w.jobEnv("pstop-b", 50*time.Millisecond, 0)}, append([]string{"pause-stop"}, selfJob()...)...)
	eventually(t, 10*time.Second, "a waiter queued", func() bool { return len(statusOf(t, "pause-stop").Waiters) == 1 })
	out := mustOperate(t, "pause", "--stop", "--reason", "incident 42", "pause-stop")
	if !strings.Contains(out, "paused by") || !strings.Contains(out, "stopped the run on") {
		t.Fatalf("pause --stop said %q", out)
	}
	if code := holder.wait(t, 10*time.Second); code != 80 {
		t.Fatalf("holder exit %d, want 80", code)
	}
	if code := waiter.wait(t, 15*time.Second); code != 0 || !strings.Contains(waiter.stderr.String(), "incident 42") {
		t.Fatalf("waiter: exit %d, want a skip naming the pause\n%s", code, waiter.stderr)
	}
	if n := len(w.Ended()); n != 1 {
		t.Fatalf("%d jobs ran, want only the stopped one", n)
	}
}

// TestOperatorsBadInput: a mistyped name, a negative --for and a
// --max-attempts of 0 each get one line and 64, and change nothing.
func TestOperatorsBadInput(t *testing.T) {
	chaostest.SharedEnsemble(t)
	for _, args := range [][]string{
		{"resume", "no-such-job"},
		{"stop", "no-such-job"},
		{"pause", "no-such-job"},
		{"pause", "--for", "-5m", "some-job"},
		{"pause", "--for", "0s", "some-job"},
		{"--once-per", "1h", "--max-attempts", "0", "some-job", "--", "true"},
		{"--max-attempts", "3", "some-job", "--", "true"},
		{"--for", "1h", "some-job", "--", "true"},
		{"status", "--reason", "why", "some-job"},
	} {
		out, errOut, code := operatorCmd(t, args...)
		if code != 64 || strings.Count(errOut, "\n") != 1 || out != "" {
			t.Errorf("zoo-locked %s: exit %d, stdout %q, stderr %q; want 64 and one line", strings.Join(args, " "), code, out, errOut)
		}
	}
	if _, err := zkClient(t).Sync("/zoo-locked"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := zkClient(t).Exists("/zoo-locked/no-such-job"); ok {
		t.Fatal("a command on an unknown lock created it")
	}
}

// TestPauseAndStopRespectTheACL: under --auth-file, only the identity
// that made the lock may pause, resume or stop it.
func TestPauseAndStopRespectTheACL(t *testing.T) {
	dir := t.TempDir()
	mine, theirs := filepath.Join(dir, "auth"), filepath.Join(dir, "other")
	if err := os.WriteFile(mine, []byte("billing:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("intruder:guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	holder := startWrapper(t, "acl-a", nil, "--auth-file", mine, "acl-job", "--", "sleep", "60")
	eventually(t, 10*time.Second, "a holder", func() bool { return statusOf(t, "acl-job").Held })
	for _, args := range [][]string{
		{"--auth-file", theirs, "pause", "acl-job"},
		{"pause", "acl-job"},
		{"--auth-file", theirs, "stop", "acl-job"},
		{"stop", "acl-job"},
	} {
		if out, errOut, code := operatorCmd(t, args...); code != 77 || !strings.Contains(errOut, "auth-file") {
			t.Errorf("zoo-locked %s: exit %d\n%s%s; want 77 naming --auth-file", strings.Join(args, " "), code, out, errOut)
		}
	}
	if st := statusOf(t, "acl-job"); st.Paused != nil || !st.Held {
		t.Fatalf("after refused commands: paused %+v, held %v", st.Paused, st.Held)
	}
	mustOperate(t, "--auth-file", mine, "pause", "acl-job")
	if _, errOut, code := operatorCmd(t, "--auth-file", theirs, "resume", "acl-job"); code != 77 {
		t.Fatalf("resume by another identity: exit %d\n%s", code, errOut)
	}
	mustOperate(t, "--auth-file", mine, "stop", "acl-job")
	if code := holder.wait(t, 10*time.Second); code != 80 {
		t.Fatalf("holder exit %d, want 80", code)
	}
	mustOperate(t, "--auth-file", mine, "resume", "acl-job")
}

// TestStopOfAHolderThatNeverActs: a holder that does not act on the
// request (a release before stop) keeps the lock; stop gives up at
// --wait-timeout with 75 and says the request stands.
func TestStopOfAHolderThatNeverActs(t *testing.T) {
	c := zkClient(t)
	for _, p := range []string{"/zoo-locked", "/zoo-locked/deaf-holder"} {
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	data := []byte(`{"host":"old-node","pid":4242,"version":"0.0.1","command":["invoices"]}`)
	if _, err := c.Create("/zoo-locked/deaf-holder/_c_0123456789abcdef0123456789abcdef-lock-", data, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := operatorCmd(t, "stop", "--wait-timeout", "1s", "deaf-holder")
	if code != 75 || !strings.Contains(errOut, "the request stands") || out != "" {
		t.Fatalf("stop of a holder that never acts: exit %d\n%s%s", code, out, errOut)
	}
	if st := statusOf(t, "deaf-holder"); !st.Held {
		t.Fatal("stop took the lock from its holder: only the holder may release it")
	}
}
