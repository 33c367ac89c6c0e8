package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
	"github.com/zoo-locked/zoo-locked/internal/zkclose"
)

// TestCrashedWrappersLockFreesAtOnce: the holder's wrapper SIGKILLed
// mid-job on a host that lives. Its keeper kills the job's tree and then
// ends the session, so the waiter's job starts within 1 s although T is
// 4 s (without the close it waits T), after the lock-delay a word-less
// departure costs, and after the holder's job ended (S1). The password that took is nowhere a user of the host can read it:
// not in any argv or environment of the run's processes, nor in its log.
func TestCrashedWrappersLockFreesAtOnce(t *testing.T) {
	w := newWitness(t)
	holder := startWrapper(t, "crash-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"crash"}, selfJob()...)...)
	first := w.nextStart(t, 10*time.Second)
	waiter := startWrapper(t, "crash-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"crash"}, selfJob()...)...)
	c := zkClient(t)
	eventually(t, 10*time.Second, "waiter queued", func() bool { return len(contenders(t, c, "crash")) == 2 })
	password := holdersPassword(t, c, "crash")
	tree := append([]int{holder.cmd.Process.Pid}, proc.Descendants(holder.cmd.Process.Pid)...)
	if len(tree) < 3 {
		t.Fatalf("the holder's tree is %v, want the wrapper, its keeper and the job", tree)
	}
	for _, pid := range tree {
		for _, file := range []string{"cmdline", "environ"} {
			data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + file)
			if err != nil {
				t.Fatal(err)
			}
			if leak := exposed(data, password); leak != "" {
				t.Errorf("the session's password is in /proc/%d/%s (%s)", pid, file, leak)
			}
		}
	}

	killedAt := w.Since()
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	second := w.nextStart(t, testSession)
	if took := second.Start - killedAt; second.Node != "b" || took > time.Second {
		t.Fatalf("the waiter's job (node %s) started %v after the holder's wrapper was killed, want b within 1 s (T = %v); holder's stderr:\n%s",
			second.Node, took, testSession, holder.stderr)
	}
	// The crash left no end in the ledger: the waiter waits out the
	// lock-delay (300 ms) before its job, as after a session ended from
	// outside.
	if took := second.Start - killedAt; took < 300*time.Millisecond || !strings.Contains(waiter.stderr.String(), "left without a word") {
		t.Errorf("the waiter's job started %v after the kill; want the lock-delay of 300 ms first; waiter's stderr:\n%s", took, waiter.stderr)
	}
	if end := w.endOf("a"); end == 0 || end >= second.Start {
		t.Fatalf("S1: the holder's job ended at %v, the waiter's started at %v", end, second.Start)
	}
	t.Logf("takeover %v after the wrapper's SIGKILL (T = %v); first job %+v", second.Start-killedAt, testSession, first)
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d; stderr:\n%s", code, waiter.stderr)
	}
	<-holder.exited
	log := holder.stderr.String() + waiter.stderr.String()
	if !strings.Contains(log, "is closed: the lock is free") {
		t.Errorf("the keeper did not say it closed the session; holder's stderr:\n%s", holder.stderr)
	}
	if leak := exposed([]byte(log), password); leak != "" {
		t.Errorf("the session's password is in the wrappers' log (%s)", leak)
	}
	assertNoContenders(t, "crash")
}

// TestCrashedWrapperCutOffFallsBackToT: the holder's node cut from the
// ensemble, then its wrapper SIGKILLed. The keeper kills the tree but cannot
// reach ZooKeeper to close the session, says so, and the lock frees when
// the session expires, as before: the waiter's job starts after T, not at
// once.
func TestCrashedWrapperCutOffFallsBackToT(t *testing.T) {
	w := newWitness(t)
	ctx := context.Background()
	holder := startWrapper(t, "cutoff-a", []string{w.jobEnv("a", time.Minute, 0)}, append([]string{"cutoff"}, selfJob()...)...)
	w.nextStart(t, 10*time.Second)
	waiter := startWrapper(t, "cutoff-b", []string{w.jobEnv("b", 100*time.Millisecond, 0)}, append([]string{"cutoff"}, selfJob()...)...)
	c := zkClient(t)
	eventually(t, 10*time.Second, "waiter queued", func() bool { return len(contenders(t, c, "cutoff")) == 2 })
	node, _ := chaostest.SharedEnsemble(t).Node("cutoff-a")
	if err := node.Cut(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Heal(ctx) })
	killedAt := w.Since()
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-holder.exited
	second := w.nextStart(t, testSession+3*time.Second)
	if took := second.Start - killedAt; took < testSession/2 {
		t.Fatalf("the waiter's job started %v after the kill, though the keeper could not reach ZooKeeper (T = %v)", took, testSession)
	}
	if !strings.Contains(holder.stderr.String(), "could not be closed") {
		t.Errorf("the keeper did not say it fell back to the session timeout; stderr:\n%s", holder.stderr)
	}
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d; stderr:\n%s", code, waiter.stderr)
	}
}

// holdersPassword is the password of the session that owns the lowest
// contender under name, as the server derives it from the session's id
// (zkclose.DerivedPassword). Checked against the server: a close that
// presents it must be accepted, so it is tried on a throwaway session.
func holdersPassword(t *testing.T, c *zk.Conn, name string) []byte {
	t.Helper()
	names := contenders(t, c, name)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(a[len(a)-10:], b[len(b)-10:]) })
	_, stat, err := c.Get("/zoo-locked/" + name + "/" + names[0])
	if err != nil {
		t.Fatal(err)
	}
	throwaway := chaostest.Connect(t, chaostest.SharedEnsemble(t).ConnectString())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	err = zkclose.Close(ctx, zkclose.Session{Servers: strings.Split(chaostest.SharedEnsemble(t).ConnectString(), ","),
		ID: throwaway.SessionID(), Password: zkclose.DerivedPassword(throwaway.SessionID()), Timeout: testSession},
		func(ctx context.Context, a string) (net.Conn, error) { return d.DialContext(ctx, "tcp", a) })
	if err != nil {
		t.Fatalf("closing a session with its derived password: %v", err)
	}
	return zkclose.DerivedPassword(stat.EphemeralOwner)
}

// exposed names the form in which password appears in data, or "".
func exposed(data, password []byte) string {
	for form, text := range map[string][]byte{
		"raw":    password,
		"hex":    []byte(hex.EncodeToString(password)),
		"base64": []byte(base64.StdEncoding.EncodeToString(password)),
	} {
		if bytes.Contains(data, text) {
			return form
		}
	}
	return ""
}
