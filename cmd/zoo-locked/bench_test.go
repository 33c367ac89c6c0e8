package main

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// BenchmarkCycle compares one `zoo-locked NAME -- true` with its baseline
// in the same run: a bare go-zookeeper client doing connect + create + get
// children + exec + delete + close. It reports the ratio (target ≤ 1.3)
// and the wrapper's peak RSS (target ≤ 15 MB).
func BenchmarkCycle(b *testing.B) {
	if ensemble == nil {
		b.Fatal("needs the ensemble")
	}
	servers := strings.Split(ensemble.ConnectString(), ",")
	var wrapperTime, bareTime time.Duration
	var peakRSSKB int64
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(binary, "--zk", ensemble.ConnectString(), "--session-timeout", "4s", "--kill-grace", "500ms", "bench-cycle", "--", "true")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("wrapper: %v\n%s", err, out)
		}
		wrapperTime += time.Since(start)
		peakRSSKB = max(peakRSSKB, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)

		start = time.Now()
		bareCycle(b, servers)
		bareTime += time.Since(start)
	}
	b.ReportMetric(float64(wrapperTime.Microseconds())/float64(b.N)/1000, "wrapper-ms/op")
	b.ReportMetric(float64(bareTime.Microseconds())/float64(b.N)/1000, "bare-ms/op")
	b.ReportMetric(float64(wrapperTime)/float64(bareTime), "ratio")
	b.ReportMetric(float64(peakRSSKB)/1024, "peak-rss-MB")
}

func bareCycle(b *testing.B, servers []string) {
	connected := make(chan struct{})
	var once bool
	conn, _, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(quietLogger{}), zk.WithEventCallback(func(ev zk.Event) {
		if ev.State == zk.StateHasSession && !once {
			once = true
			close(connected)
		}
	}))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	<-connected
	_, err = conn.Create("/bench-bare", nil, 0, zk.WorldACL(zk.PermAll))
	if err != nil && err != zk.ErrNodeExists {
		b.Fatal(err)
	}
	node, err := conn.CreateProtectedEphemeralSequential("/bench-bare/lock-", nil, zk.WorldACL(zk.PermAll))
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := conn.Children("/bench-bare"); err != nil {
		b.Fatal(err)
	}
	if err := exec.Command("true").Run(); err != nil {
		b.Fatal(err)
	}
	if err := conn.Delete(node, -1); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHandoff measures hand-off with 20 waiters queued behind a
// holder: from the holder's release until all 20 have run, per hand-off,
// and as a ratio to one bare client cycle measured in the same run.
func BenchmarkHandoff(b *testing.B) {
	if ensemble == nil {
		b.Fatal("needs the ensemble")
	}
	const waiters = 20
	servers := strings.Split(ensemble.ConnectString(), ",")
	var handoff, bare time.Duration
	for b.Loop() {
		b.StopTimer()
		holder := exec.Command(binary, "--zk", ensemble.ConnectString(), "--session-timeout", "4s", "--kill-grace", "500ms",
			"bench-handoff", "--", "sh", "-c", "read x")
		stdin, err := holder.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := holder.Start(); err != nil {
			b.Fatal(err)
		}
		conn, _, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(quietLogger{}))
		if err != nil {
			b.Fatal(err)
		}
		queued := func(n int) bool {
			children, _, err := conn.Children("/zoo-locked/bench-handoff")
			return err == nil && len(children) == n
		}
		for !queued(1) {
			time.Sleep(10 * time.Millisecond)
		}
		var cmds []*exec.Cmd
		for range waiters {
			c := exec.Command(binary, "--zk", ensemble.ConnectString(), "--session-timeout", "4s", "--kill-grace", "500ms", "bench-handoff", "--", "true")
			if err := c.Start(); err != nil {
				b.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		for !queued(waiters + 1) {
			time.Sleep(10 * time.Millisecond)
		}
		start := time.Now()
		stdin.Close()
		_ = holder.Wait() // its status is not what is measured
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				b.Fatalf("waiter: %v", err)
			}
		}
		handoff += time.Since(start)
		conn.Close()
		start = time.Now()
		bareCycle(b, servers)
		bare += time.Since(start)
		b.StartTimer()
	}
	per := handoff / time.Duration(b.N*waiters)
	b.ReportMetric(float64(per.Microseconds())/1000, "handoff-ms")
	b.ReportMetric(float64(per)/float64(bare/time.Duration(b.N)), "handoff/bare-cycle")
}
