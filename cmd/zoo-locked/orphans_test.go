package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
)

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
			if proc.Alive(p) {
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

// TestFenceKillsEscapedDescendants: a job whose child left its process
// group (setsid) and ignores SIGTERM is still killed when the job is
// stopped, because the keeper signals every descendant, not just the
// job's group; and the wrapper returns within the grace, not never.
func TestFenceKillsEscapedDescendants(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "escaped")
	job := `setsid sh -c 'trap "" TERM HUP; echo $$ > ` + pidFile + `.tmp; mv ` + pidFile + `.tmp ` + pidFile + `; while :; do sleep 0.05; done' & wait`
	w := startWrapper(t, "escape", nil, "--max-runtime", "1s", "escape", "--", "sh", "-c", job)
	escaped := awaitPid(t, pidFile, "escaped grandchild started")
	if code := w.wait(t, time.Second+testKillGrace+3*time.Second); code != 128+int(syscall.SIGTERM) && code != 128+int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want the job killed by the max runtime; stderr:\n%s", code, w.stderr)
	}
	if proc.Alive(escaped) {
		_ = syscall.Kill(escaped, syscall.SIGKILL)
		t.Fatalf("S3: pid %d, which left the job's process group, outlived the stopped job", escaped)
	}
}

// awaitPid waits up to 10 s for a job to write its pid to path (written
// whole: to path.tmp, then moved) and returns it.
func awaitPid(t *testing.T, path, what string) int {
	t.Helper()
	var pid int
	eventually(t, 10*time.Second, what, func() bool {
		b, err := os.ReadFile(path)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	return pid
}
