package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

// The drop-in tests put zoo-locked on one lock path with each recipe a
// fleet may run before it moves over: the replaced C tool (ZooKeeper's C
// recipe), Curator, and kazoo (Debian's python3-kazoo, set up as the
// README says). Each pair is tried both ways: X holds, Y does not run; X
// releases, Y runs.

// recipe takes the lock at a path the way one tool does.
type recipe struct {
	name string
	// says is what status names this recipe's holder with.
	says string
	// argv runs job under the lock at lockPath: tried once when try,
	// else waiting for it.
	argv func(t *testing.T, lockPath string, try bool, job string) []string
}

func zooLockedRecipe(flags ...string) recipe {
	return recipe{name: "zoo-locked", says: "host=", argv: func(t *testing.T, lockPath string, try bool, job string) []string {
		args := []string{zooLocked(t), "--zk", chaostest.SharedEnsemble(t).ConnectString(), "--root", filepath.Dir(lockPath),
			"--session-timeout", testSession.String(), "--kill-grace", testKillGrace.String()}
		args = append(args, flags...)
		if try {
			args = append(args, "--no-wait")
		}
		return append(args, filepath.Base(lockPath), "--", "/bin/sh", "-c", job)
	}}
}

func foreignRecipe(kind, says string) recipe {
	return recipe{name: kind, says: says, argv: func(t *testing.T, lockPath string, try bool, job string) []string {
		_, zooChaos := chaostest.Binaries(t)
		args := []string{zooChaos, "foreign", "--recipe", kind, "--zk", chaostest.SharedEnsemble(t).ConnectString(), "--path", lockPath}
		if try {
			args = append(args, "--try")
		}
		return append(args, "--", "/bin/sh", "-c", job)
	}}
}

// kazooRecipe is kazoo's Lock as the README sets it up, or its default
// Lock (no extra_lock_patterns) with lockArgs "default".
func kazooRecipe(lockArgs ...string) recipe {
	return recipe{name: "kazoo", says: "kazoo", argv: func(t *testing.T, lockPath string, try bool, job string) []string {
		mode := "hold"
		if try {
			mode = "try"
		}
		// kazoo runs no command: "hold" stands for a job that holds the
		// lock, "try" for one that prints "ran" once it got it.
		return append([]string{"/usr/bin/python3", "testdata/kazoolock.py", chaostest.SharedEnsemble(t).ConnectString(), lockPath, mode}, lockArgs...)
	}}
}

// holding is a process that holds a lock until released.
type holding struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// hold starts r holding lockPath and returns once it says it holds it.
func hold(t *testing.T, r recipe, lockPath string) *holding {
	t.Helper()
	argv := r.argv(t, lockPath, false, "echo holding; exec cat >/dev/null")
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{b: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holding{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { h.release(t) })
	said := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		said <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-said:
		if strings.TrimSpace(line) != "holding" {
			t.Fatalf("%s did not take the free lock %s: %q; stderr:\n%s", r.name, lockPath, line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not take the free lock %s within 20s; stderr:\n%s", r.name, lockPath, stderr.String())
	}
	return h
}

// release ends the holder's job and waits for it to let go.
func (h *holding) release(t *testing.T) {
	t.Helper()
	if h.cmd.ProcessState != nil {
		return
	}
	h.stdin.Close()
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
		t.Errorf("holder did not release within 10s of its job's end")
	}
}

// try runs one attempt of r at lockPath and says whether its job ran.
func try(t *testing.T, r recipe, lockPath string) (ran bool, out string, code int) {
	t.Helper()
	argv := r.argv(t, lockPath, true, "echo ran")
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, _ := cmd.Output() // the exit code is part of the answer
	code = cmd.ProcessState.ExitCode()
	if code != 0 && code != 75 {
		t.Fatalf("%s exited %d: %s%s", r.name, code, stdout, stderr.String())
	}
	return strings.Contains(string(stdout), "ran"), string(stdout), code
}

func TestEveryRecipeExcludesTheOther(t *testing.T) {
	excludeEachOther(t, "/dropin", zooLockedRecipe(), []recipe{
		foreignRecipe("c", "ZooKeeper C recipe, session 0x"),
		foreignRecipe("curator", "Curator"),
		kazooRecipe(),
	})
}

// TestKazooDefaultLock: under --contender-style kazoo, a kazoo fleet that
// changes nothing in its Python (the default Lock) and zoo-locked exclude
// each other both ways.
func TestKazooDefaultLock(t *testing.T) {
	excludeEachOther(t, "/dropin-kazoo-style", zooLockedRecipe("--contender-style", "kazoo"), []recipe{kazooRecipe("default")})
}

// excludeEachOther tries each of foreign against ours, both ways, each on
// a path of its own under root.
func excludeEachOther(t *testing.T, root string, ours recipe, foreign []recipe) {
	t.Helper()
	for _, other := range foreign {
		t.Run(other.name+" holds", func(t *testing.T) {
			lockPath := root + "/" + other.name + "-holds"
			h := hold(t, other, lockPath)
			if ran, out, code := try(t, ours, lockPath); ran || code != 75 {
				t.Fatalf("zoo-locked ran its job (exit %d, %q) while %s held the lock", code, out, other.name)
			}
			status, _ := inspectCmd(t, "--root", root, "status", other.name+"-holds")
			if !strings.Contains(status, other.says) {
				t.Fatalf("status does not name the %s holder (%q):\n%s", other.name, other.says, status)
			}
			h.release(t)
			if ran, out, code := try(t, ours, lockPath); !ran {
				t.Fatalf("zoo-locked did not run once %s released (exit %d): %q", other.name, code, out)
			}
		})
		t.Run("zoo-locked holds against "+other.name, func(t *testing.T) {
			lockPath := root + "/zoo-locked-holds-" + other.name
			// zoo-locked has run on this path before: what it leaves must
			// not break the other recipe (the C recipe crashes on a child
			// it cannot order).
			if ran, _, _ := try(t, ours, lockPath); !ran {
				t.Fatal("zoo-locked did not run on a free lock")
			}
			h := hold(t, ours, lockPath)
			if ran, out, _ := try(t, other, lockPath); ran {
				t.Fatalf("%s ran its job while zoo-locked held the lock: %q", other.name, out)
			}
			h.release(t)
			if ran, out, code := try(t, other, lockPath); !ran {
				t.Fatalf("%s did not run once zoo-locked released (exit %d): %q", other.name, code, out)
			}
		})
	}
}

// TestClassicCrontabLine runs the replaced tool's crontab line unchanged:
// HOSTS PATH 'COMMAND', and checks what a script could see of the old tool
// (output, exit status, "LOCKED by <znode>" and 0 when busy) and what
// zoo-locked adds (the token, the ledger).
func TestClassicCrontabLine(t *testing.T) {
	hosts := chaostest.SharedEnsemble(t).ConnectString()
	lockPath := "/cron-classic/invoices"
	classic := func(t *testing.T, env []string, command string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(zooLocked(t), hosts, lockPath, command)
		cmd.Env = append(os.Environ(), env...)
		var errOut strings.Builder
		cmd.Stderr = &errOut
		out, _ := cmd.Output() // the exit code is part of the answer
		return string(out), errOut.String(), cmd.ProcessState.ExitCode()
	}

	// The environment's ensemble would be wrong: the line's own HOSTS win.
	out, errOut, code := classic(t, []string{"ZOOLOCKED_ZK=127.0.0.1:1"}, `echo out; echo err >&2; echo "token=$ZOOLOCKED_TOKEN"; exit 3`)
	if code != 3 || !strings.Contains(out, "out\n") || !strings.Contains(errOut, "err\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want the job's 3, out and err", code, out, errOut)
	}
	if !strings.Contains(out, "token=") || strings.Contains(out, "token=\n") {
		t.Fatalf("the job got no fencing token: %q", out)
	}
	st, _ := inspectCmd(t, "--root", "/cron-classic", "status", "invoices")
	if !strings.Contains(st, "exit=3") {
		t.Fatalf("the ledger does not know the classic run:\n%s", st)
	}

	c := hold(t, foreignRecipe("c", ""), lockPath)
	out, _, code = classic(t, nil, "echo ran")
	if code != 0 || !strings.HasPrefix(out, "LOCKED by x-") || strings.Contains(out, "ran") {
		t.Fatalf("busy under the C tool's holder: exit %d, %q; want LOCKED by x-… and 0", code, out)
	}
	c.release(t)

	z := hold(t, recipe{name: "classic", argv: func(t *testing.T, p string, _ bool, job string) []string {
		return []string{zooLocked(t), hosts, p, job}
	}}, lockPath)
	out, _, code = classic(t, nil, "echo ran")
	if code != 0 || !strings.HasPrefix(out, "LOCKED by _c_") || strings.Contains(out, "ran") {
		t.Fatalf("busy under a classic zoo-locked: exit %d, %q; want LOCKED by _c_… and 0", code, out)
	}
	if ran, out, _ := try(t, foreignRecipe("c", ""), lockPath); ran || !strings.HasPrefix(out, "LOCKED by _c_") {
		t.Fatalf("the C tool under a classic zoo-locked: %q", out)
	}
	z.release(t)
	if out, _, code = classic(t, nil, "echo ran"); code != 0 || out != "ran\n" {
		t.Fatalf("free again: exit %d, %q", code, out)
	}
}
