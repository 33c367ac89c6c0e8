package main

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/lock"
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
	cmd := exec.Command(zooLocked(t), append([]string{"--zk", chaostest.SharedEnsemble(t).ConnectString()}, args...)...)
	out, _ := cmd.Output() // the exit code is part of the result
	return string(out), cmd.ProcessState.ExitCode()
}
