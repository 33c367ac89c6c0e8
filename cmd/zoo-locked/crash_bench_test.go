package main

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
)

// BenchmarkCrashTakeover: how long a lock stays held after its holder is
// SIGKILLed mid-job on a host that lives, for zoo-locked (its keeper ends
// the session once the job's tree is dead) and for the bare go-zookeeper
// program (testdata/bareclient), whose lock frees when ZooKeeper expires
// its session; both ask for T = 30 s, the README's longest, on a server
// that grants it. The figure is from the kill to the contender's deletion,
// seen by a watch. Holds run in interleaved pairs; times are medians of the
// holds, the ratio the median of the pairs'.
func BenchmarkCrashTakeover(b *testing.B) {
	const sessionTimeout = 30 * time.Second
	ensemble := chaostest.Ensemble(b, ensemble.Options{Backend: ensemble.BackendProcess, Servers: 1, MaxSessionTimeout: 40 * time.Second})
	servers := strings.Split(ensemble.ConnectString(), ",")
	keepParent(b, servers, bareParent)
	c := chaostest.Connect(b, ensemble.ConnectString())
	zooLocked, _ := chaostest.Binaries(b)
	wrapperCmd := func(job ...string) *exec.Cmd {
		return exec.Command(zooLocked, append([]string{"--zk", ensemble.ConnectString(), "--session-timeout", sessionTimeout.String(), "bench-crash", "--"}, job...)...)
	}
	started := filepath.Join(b.TempDir(), "started")
	var wrapper, waiterJob, bare, ratios []float64
	for b.Loop() {
		// A waiter queued behind the holder once it holds: its job marks
		// when it starts.
		_ = os.Remove(started)
		var waiter *exec.Cmd
		var killed time.Time
		w := freedAfterKill(b, c, "/zoo-locked/bench-crash", wrapperCmd("sleep", "60"), func() bool {
			if waiter == nil {
				waiter = wrapperCmd("touch", started)
				if err := waiter.Start(); err != nil {
					b.Fatal(err)
				}
			}
			children, _, _ := c.Children("/zoo-locked/bench-crash")
			return len(children) == 2
		}, &killed)
		for !fileExists(started) {
			if time.Since(killed) > time.Minute {
				b.Fatal("the waiter's job did not start within a minute of the holder's kill")
			}
			time.Sleep(5 * time.Millisecond) // polling: a file has no event to await here
		}
		waiterJob = append(waiterJob, ms(time.Since(killed)))
		_ = waiter.Wait()
		bareCmd := exec.Command(bareProgram.binary(b), ensemble.ConnectString(), bareParent, "sleep", "60")
		bareCmd.Env = append(os.Environ(), "BARECLIENT_SESSION_TIMEOUT="+sessionTimeout.String())
		p := freedAfterKill(b, c, bareParent, bareCmd, nil, new(time.Time))
		wrapper, bare = append(wrapper, ms(w)), append(bare, ms(p))
		ratios = append(ratios, float64(w)/float64(p))
	}
	b.ReportMetric(median(wrapper), "wrapper-free-ms")
	b.ReportMetric(median(waiterJob), "waiter-job-ms")
	b.ReportMetric(median(bare), "bare-free-ms")
	b.ReportMetric(ms(sessionTimeout), "session-timeout-ms")
	b.ReportMetric(median(ratios), "ratio")
}

// freedAfterKill starts cmd, waits until it holds the lock under parent,
// its job (a sleep) runs and ready says so (nil: nothing more to wait
// for), SIGKILLs cmd alone, and returns how long its contender outlived
// it; killed is set to the kill's time. What cmd leaves running is killed
// afterwards.
func freedAfterKill(b *testing.B, c *zk.Conn, parent string, cmd *exec.Cmd, ready func() bool, killed *time.Time) time.Duration {
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var contender string
	var jobs []int
	deadline := time.Now().Add(20 * time.Second)
	for contender == "" || len(jobs) == 0 || (ready != nil && !ready()) {
		if time.Now().After(deadline) {
			b.Fatalf("%s held no lock under %s with its job running within 20 s", cmd.Path, parent)
		}
		time.Sleep(10 * time.Millisecond) // polling: neither has an event to await
		if children, _, err := c.Children(parent); err == nil {
			contender = lowestContender(children)
		}
		jobs = sleepsUnder(cmd.Process.Pid)
	}
	held, _, gone, err := c.ExistsW(path.Join(parent, contender))
	if err != nil || !held {
		b.Fatalf("contender %s: %v", contender, err)
	}
	*killed = time.Now()
	if err := cmd.Process.Kill(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-gone:
	case <-time.After(time.Minute):
		b.Fatalf("%s's contender outlived it by a minute", cmd.Path)
	}
	took := time.Since(*killed)
	_ = cmd.Wait() // killed: its status says nothing
	for _, pid := range jobs {
		_ = syscall.Kill(pid, syscall.SIGKILL) // the bare program's orphan; zoo-locked's is gone already
	}
	return took
}

// sleepsUnder are the sleep processes among root's descendants.
func sleepsUnder(root int) []int {
	var pids []int
	for _, pid := range proc.Descendants(root) {
		if comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "sleep" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// lowestContender is the holder's contender among a lock path's children:
// the lowest sequence of those named "...lock-<seq>" (not the parent's
// keep node).
func lowestContender(children []string) string {
	holder := ""
	for _, child := range children {
		if strings.Contains(child, "lock-") && (holder == "" || child[len(child)-10:] < holder[len(holder)-10:]) {
			holder = child
		}
	}
	return holder
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
