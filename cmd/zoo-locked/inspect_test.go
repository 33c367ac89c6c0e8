package main

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
)

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
	var st fleet.LockStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || len(st.Holders) != 1 || len(st.Waiters) != 2 ||
		st.Holders[0].Holder.Pid != holder.cmd.Process.Pid || strings.Join(st.Waiters[1].Holder.Command, " ") != "echo second" {
		t.Fatalf("status --json exit %d, %v:\n%s", code, err, out)
	}
	out, code = inspectCmd(t, "list")
	if code != 0 || !strings.Contains(out, "status-lock") || !strings.Contains(out, strconv.Itoa(holder.cmd.Process.Pid)) {
		t.Fatalf("list exit %d:\n%s", code, out)
	}
	out, code = inspectCmd(t, "--json", "list")
	var all []fleet.LockStatus
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

// inspectCmd is operatorCmd for what only prints: its stdout and code.
func inspectCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, _, code := operatorCmd(t, args...)
	return out, code
}

// TestInspectionNeverGoesBlind: one lock whose record is not ours and one
// whose contender another client wrote: list still shows every lock and
// exits 0, status marks what it cannot read and exits by held/free, a
// --once-per wrapper says how to clear the record, and reset clears it
// (refusing while the lock is held).
func TestInspectionNeverGoesBlind(t *testing.T) {
	c := zkClient(t)
	for _, p := range []string{"/zoo-locked", "/zoo-locked/blind-record", "/zoo-locked/blind-foreign", "/zoo-locked/blind-fine"} {
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/zoo-locked/blind-record~", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/zoo-locked/blind-record~/last-run", []byte("not a record"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/zoo-locked/blind-foreign/_c_0123-lock-", []byte("someone else"), zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	out, code := inspectCmd(t, "list")
	for _, want := range []string{"blind-record", "blind-foreign", "blind-fine", "unreadable", "Curator"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("list exit %d, missing %q:\n%s", code, want, out)
		}
	}
	if out, code := inspectCmd(t, "status", "blind-record"); code != 1 || !strings.Contains(out, "free") || !strings.Contains(out, "record unreadable") || !strings.Contains(out, "zoo-locked reset blind-record") {
		t.Fatalf("status of a lock with a foreign record: exit %d, want 1 (free) and the record marked:\n%s", code, out)
	}
	out, code = inspectCmd(t, "status", "blind-foreign", "--json")
	var st fleet.LockStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || len(st.Holders) != 1 || !st.Holders[0].Foreign {
		t.Fatalf("status --json after the name (a foreign holder): exit %d, %v:\n%s", code, err, out)
	}
	if out, _ := inspectCmd(t, "status", "blind-foreign"); !strings.Contains(out, "(not zoo-locked)") || strings.Contains(out, "0001-01-01") {
		t.Fatalf("a foreign holder shown as ours:\n%s", out)
	}

	wr := startWrapper(t, "blind", nil, "--once-per", "1h", "blind-record", "--", "true")
	if code := wr.wait(t, 20*time.Second); code != 70 || !strings.Contains(wr.stderr.String(), "zoo-locked reset blind-record") {
		t.Fatalf("once-per over an unreadable record: exit %d, want 70 and how to clear it:\n%s", code, wr.stderr)
	}
	if _, code := inspectCmd(t, "reset", "blind-foreign"); code != 75 {
		t.Fatalf("reset of a held lock: exit %d, want 75", code)
	}
	if out, code := inspectCmd(t, "reset", "blind-record"); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("reset: exit %d\n%s", code, out)
	}
	again := startWrapper(t, "blind", nil, "--once-per", "1h", "blind-record", "--", "true")
	if code := again.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("once-per after reset: exit %d:\n%s", code, again.stderr)
	}
}

// TestEveryAdvisedResetWorks: an unreadable record at the old place (under
// the lock) and one beside a lock whose znode is gone: the wrapper's advice
// to reset, followed, lets the next firing run; status and list show the
// record-only lock.
func TestEveryAdvisedResetWorks(t *testing.T) {
	c := zkClient(t)
	create := func(p string, data []byte) {
		t.Helper()
		if _, err := c.Create(p, data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	create("/zoo-locked", nil)
	create("/zoo-locked/old-place", nil)
	create("/zoo-locked/old-place/last-run", []byte("not a record"))
	create("/zoo-locked/records-only~", nil)
	create("/zoo-locked/records-only~/last-run", []byte("not a record"))

	if out, code := inspectCmd(t, "list"); code != 0 || !strings.Contains(out, "records-only") {
		t.Fatalf("list does not show a lock known by its records alone: exit %d\n%s", code, out)
	}
	if out, _ := inspectCmd(t, "status", "records-only"); !strings.Contains(out, "record unreadable") {
		t.Fatalf("status of a lock known by its records alone says nothing of them:\n%s", out)
	}
	for _, name := range []string{"old-place", "records-only"} {
		wr := startWrapper(t, name, nil, "--once-per", "1h", name, "--", "true")
		if code := wr.wait(t, 20*time.Second); code != 70 || !strings.Contains(wr.stderr.String(), "zoo-locked reset "+name) {
			t.Fatalf("%s: exit %d, want 70 and the advice to reset:\n%s", name, code, wr.stderr)
		}
		if out := followAdvice(t, wr.stderr.String()); !strings.Contains(out, "deleted") {
			t.Fatalf("%s: reset as advised: %s", name, out)
		}
		again := startWrapper(t, name, nil, "--once-per", "1h", name, "--", "true")
		if code := again.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("%s: once-per after the advised reset: exit %d:\n%s", name, code, again.stderr)
		}
	}
}
