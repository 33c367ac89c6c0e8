package main

import (
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
)

// BenchmarkCrashTakeover: how long a lock stays held after its holder is
// SIGKILLed mid-job on a host that lives, for zoo-locked (its keeper ends
// the session once the job's tree is dead) and for the bare go-zookeeper
// program (testdata/bareclient), whose lock frees when ZooKeeper expires
// its session; both ask for T = 4 s. The figure is from the kill to the
// contender's deletion, seen by a watch. Holds run in interleaved pairs;
// times are medians of the holds, the ratio the median of the pairs'.
func BenchmarkCrashTakeover(b *testing.B) {
	ensemble := chaostest.SharedEnsemble(b)
	servers := strings.Split(ensemble.ConnectString(), ",")
	keepParent(b, servers, bareParent)
	c := chaostest.Connect(b, ensemble.ConnectString())
	var wrapper, bare, ratios []float64
	for b.Loop() {
		w := freedAfterKill(b, c, "/zoo-locked/bench-crash", benchWrapper(b, "bench-crash", "sleep", "60"))
		p := freedAfterKill(b, c, bareParent, exec.Command(bareProgram.binary(b), ensemble.ConnectString(), bareParent, "sleep", "60"))
		wrapper, bare = append(wrapper, ms(w)), append(bare, ms(p))
		ratios = append(ratios, float64(w)/float64(p))
	}
	b.ReportMetric(median(wrapper), "wrapper-free-ms")
	b.ReportMetric(median(bare), "bare-free-ms")
	b.ReportMetric(4000, "session-timeout-ms")
	b.ReportMetric(median(ratios), "ratio")
}

// freedAfterKill starts cmd, waits until it holds the lock under parent
// and its job (a sleep) runs, SIGKILLs cmd alone, and returns how long its
// contender outlived it. What cmd leaves running is killed afterwards.
func freedAfterKill(b *testing.B, c *zk.Conn, parent string, cmd *exec.Cmd) time.Duration {
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var contender string
	var jobs []int
	deadline := time.Now().Add(20 * time.Second)
	for contender == "" || len(jobs) == 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%s held no lock under %s with its job running within 20 s", cmd.Path, parent)
		}
		time.Sleep(10 * time.Millisecond) // polling: neither has an event to await
		if children, _, err := c.Children(parent); err == nil {
			for _, child := range children {
				if strings.Contains(child, "lock-") { // not the parent's keep node
					contender = child
				}
			}
		}
		jobs = sleepsUnder(cmd.Process.Pid)
	}
	held, _, gone, err := c.ExistsW(path.Join(parent, contender))
	if err != nil || !held {
		b.Fatalf("contender %s: %v", contender, err)
	}
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-gone:
	case <-time.After(30 * time.Second):
		b.Fatalf("%s's contender outlived it by 30 s", cmd.Path)
	}
	took := time.Since(killed)
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
