package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/lock"
)

// benchWrapper is zoo-locked running argv under lock name against the
// test ensemble, with the session every benchmark uses.
func benchWrapper(b *testing.B, name string, argv ...string) *exec.Cmd {
	return benchZooLocked(b, append([]string{name, "--"}, argv...)...)
}

// benchZooLocked is zoo-locked with args after the benchmarks' session
// flags.
func benchZooLocked(b *testing.B, args ...string) *exec.Cmd {
	full := append([]string{"--zk", chaostest.SharedEnsemble(b).ConnectString(), "--session-timeout", "4s", "--kill-grace", "500ms"}, args...)
	zooLocked, _ := chaostest.Binaries(b)
	return exec.Command(zooLocked, full...)
}

// BenchmarkCycle compares one `zoo-locked NAME -- true` with its baseline
// in the same run: a bare go-zookeeper program, started as a process as
// the wrapper is (testdata/bareclient), doing connect + create + get
// children + exec + close. Each wrapper cycle is paired with the
// bare cycle that follows it, and "ratio" is the median of the pair ratios
// (target ≤ 1.3): neighbours in time share the machine's load, which on two
// cores moves single cycles by more than the overhead measured.
//
// Both run in steady state, the lock's parent present as the baseline's
// is: a persistent child that is not a contender keeps the test servers'
// 1 s container reaper away. "cold-ms/cycle" is the wrapper after a reap,
// when it also creates the parents (production reaps after 60 s idle).
func BenchmarkCycle(b *testing.B) {
	ensemble := chaostest.SharedEnsemble(b)
	servers := strings.Split(ensemble.ConnectString(), ",")
	keepParent(b, servers, "/zoo-locked/bench-cycle")
	keepParent(b, servers, bareParent)
	wrapperCycle := func(name string) time.Duration {
		start := time.Now()
		cmd := benchWrapper(b, name, "true")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("wrapper: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	// Each op is several pairs, so that `make bench`'s few ops still give
	// the median something to work with.
	const pairsPerOp = 10
	var wrapperTime, bareTime time.Duration
	var ratios []float64
	for b.Loop() {
		for range pairsPerOp {
			w := wrapperCycle("bench-cycle")
			start := time.Now()
			bareCycle(b, servers)
			bare := time.Since(start)
			wrapperTime += w
			bareTime += bare
			ratios = append(ratios, float64(w)/float64(bare))
		}
	}
	b.StopTimer()
	warmZxid, _ := ensembleCounters(b, ensemble)
	wrapperCycle("bench-cycle")
	coldZxid, _ := ensembleCounters(b, ensemble)
	cold := wrapperCycle(fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()))
	doneZxid, _ := ensembleCounters(b, ensemble)
	b.ReportMetric(float64(coldZxid-warmZxid), "warm-writes")
	b.ReportMetric(float64(doneZxid-coldZxid), "cold-writes")
	start := processStart(b)
	slices.Sort(ratios)
	b.ReportMetric(float64(wrapperTime.Microseconds())/float64(len(ratios))/1000, "wrapper-ms/cycle")
	b.ReportMetric(float64(bareTime.Microseconds())/float64(len(ratios))/1000, "bare-ms/cycle")
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms/cycle")
	b.ReportMetric(float64(start.Microseconds())/1000, "start-ms")
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
}

// processStart is what one start of the binary costs on this machine
// (`zoo-locked --version`, median of 20): the baseline pays one, the
// wrapper one on its path and one for its keeper beside it.
func processStart(b *testing.B) time.Duration {
	var starts []time.Duration
	for range 20 {
		start := time.Now()
		if err := exec.Command(benchWrapper(b, "").Path, "--version").Run(); err != nil {
			b.Fatal(err)
		}
		starts = append(starts, time.Since(start))
	}
	slices.Sort(starts)
	return starts[len(starts)/2]
}

// keepParent gives the lock parent a persistent child that is not a
// contender, so the container reaper leaves it in place.
func keepParent(b *testing.B, servers []string, parent string) {
	conn, _, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(chaostest.Quiet{}))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	p := ""
	for _, part := range strings.Split(strings.Trim(parent, "/"), "/") {
		p += "/" + part
		if _, err := conn.CreateContainer(p, nil, zk.FlagContainer, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			b.Fatal(err)
		}
	}
	if _, err := conn.Create(parent+"/keep", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn, _, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(chaostest.Quiet{}))
		if err == nil {
			_ = conn.Delete(parent+"/keep", -1) // the reaper then takes the parent
			conn.Close()
		}
	})
}

// BenchmarkHoldingRSS reports the wrapper's and the keeper's peak RSS
// (VmHWM) while the job runs (target for the wrapper: ≤ 15 MB). Read from
// /proc, not from rusage: ru_maxrss carries the forking parent's RSS over
// exec, which would report the test binary's size.
func BenchmarkHoldingRSS(b *testing.B) {
	chaostest.SharedEnsemble(b)
	var wrapperKB, keeperKB int64
	for b.Loop() {
		cmd := benchWrapper(b, "bench-rss", "sh", "-c", "read x; exit 0")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var keeper int
		for deadline := time.Now().Add(10 * time.Second); keeper == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatal("job never started")
			}
			if kids := lock.Descendants(cmd.Process.Pid); len(kids) >= 2 {
				keeper = kids[0]
			}
		}
		wrapperKB = max(wrapperKB, vmHWM(b, cmd.Process.Pid))
		keeperKB = max(keeperKB, vmHWM(b, keeper))
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(wrapperKB)/1024, "wrapper-peak-rss-MB")
	b.ReportMetric(float64(keeperKB)/1024, "keeper-peak-rss-MB")
}

func vmHWM(b *testing.B, pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	b.Fatalf("no VmHWM for %d", pid)
	return 0
}

// bareParent is where the baseline contends; keepParent makes it first,
// outside the timed cycles.
const bareParent = "/bench-bare"

func bareCycle(b *testing.B, servers []string) {
	if out, err := exec.Command(bareClient(b), strings.Join(servers, ","), bareParent, "true").CombinedOutput(); err != nil {
		b.Fatalf("baseline: %v\n%s", err, out)
	}
}

var bareBuild struct {
	once sync.Once
	path string
	err  error
}

// bareClient builds the baseline program (testdata/bareclient) once.
func bareClient(b *testing.B) string {
	bareBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "zoo-locked-bare-")
		if err != nil {
			bareBuild.err = err
			return
		}
		bareBuild.path = filepath.Join(dir, "bareclient")
		cmd := exec.Command("go", "build", "-o", bareBuild.path, "./testdata/bareclient")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as the wrapper is built
		if out, err := cmd.CombinedOutput(); err != nil {
			bareBuild.err = fmt.Errorf("build the baseline: %v\n%s", err, out)
		}
	})
	if bareBuild.err != nil {
		b.Fatal(bareBuild.err)
	}
	return bareBuild.path
}

// BenchmarkHandoff measures hand-off with 20 waiters queued behind a
// holder: from the holder's release until all 20 have run, per hand-off,
// and as a ratio to one bare client cycle measured in the same run.
func BenchmarkHandoff(b *testing.B) {
	ensemble := chaostest.SharedEnsemble(b)
	const waiters = 20
	servers := strings.Split(ensemble.ConnectString(), ",")
	keepParent(b, servers, bareParent)
	var handoff, bare time.Duration
	for b.Loop() {
		b.StopTimer()
		holder := benchWrapper(b, "bench-handoff", "sh", "-c", "read x")
		stdin, err := holder.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := holder.Start(); err != nil {
			b.Fatal(err)
		}
		conn, _, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(chaostest.Quiet{}))
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
			c := benchWrapper(b, "bench-handoff", "true")
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
