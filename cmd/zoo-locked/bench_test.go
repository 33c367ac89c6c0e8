package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/cmd/internal/proc"
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

// BenchmarkCycle compares one `zoo-locked NAME -- true` with three
// baselines in the same run, each started as a process as the wrapper is:
// a bare go-zookeeper program (testdata/bareclient: connect, create, get
// children, exec, close); the floor, that program plus the work a run's
// ledger must do (testdata/bareclient --ledger: read the ledger under the lock,
// write the entry before the command, complete it in the transaction that
// frees the lock — the wrapper's five writes, without its keeper); and a C
// program on ZooKeeper's C client, the replaced tool's library
// (testdata/cbaseline: the bare cycle, the command through /bin/sh as
// popen ran it). Cycles run in interleaved quadruples, so that neighbours
// in time share the machine's load; every figure is a median: of the
// cycles for the times, of the per-quadruple ratios for the ratios
// (target: ≤ 1.2 against the bare program).
//
// The lock path is warm, as in steady state (a lock path is persistent);
// "cold-ms/cycle" and "cold-writes" are a lock name's first run.
func BenchmarkCycle(b *testing.B) {
	ensemble := chaostest.SharedEnsemble(b)
	servers := strings.Split(ensemble.ConnectString(), ",")
	keepParent(b, servers, bareParent)
	keepParent(b, servers, floorParent)
	keepParent(b, servers, cParent)
	timed := func(cmd *exec.Cmd) time.Duration {
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", cmd.Path, err, out)
		}
		return time.Since(start)
	}
	wrapperCycle := func(name string) time.Duration { return timed(benchWrapper(b, name, "true")) }
	connect := strings.Join(servers, ",")
	bareCmd := func() *exec.Cmd { return exec.Command(bareProgram.binary(b), connect, bareParent, "true") }
	floorCmd := func() *exec.Cmd {
		return exec.Command(bareProgram.binary(b), "--ledger", floorLedger, connect, floorParent, "true")
	}
	cCmd := func() *exec.Cmd { return exec.Command(cProgram.binary(b), connect, cParent, "true") }
	wrapperCycle("bench-cycle") // the lock path exists from here on
	// Each op is several quadruples, so that `make bench`'s few ops still
	// give the medians something to work with.
	const quadruplesPerOp = 10
	var wrapper, bare, floor, c, vsBare, vsFloor, vsC, floorVsBare []float64
	for b.Loop() {
		for range quadruplesPerOp {
			w := timed(benchWrapper(b, "bench-cycle", "true"))
			g, f, k := timed(bareCmd()), timed(floorCmd()), timed(cCmd())
			wrapper, bare, floor, c = append(wrapper, ms(w)), append(bare, ms(g)), append(floor, ms(f)), append(c, ms(k))
			vsBare, vsFloor, vsC = append(vsBare, float64(w)/float64(g)), append(vsFloor, float64(w)/float64(f)), append(vsC, float64(w)/float64(k))
			floorVsBare = append(floorVsBare, float64(f)/float64(g))
		}
	}
	b.StopTimer()
	// What each cycle costs the servers, which no machine's speed changes:
	// the wrapper's ledger entry is two quorum writes the bare program
	// does not make.
	_, idle := ensembleCounters(b, ensemble)
	bareZxid, barePackets := ensembleCounters(b, ensemble)
	probe := barePackets - idle // what reading the counters itself adds
	timed(bareCmd())
	floorZxid, floorPackets := ensembleCounters(b, ensemble)
	timed(floorCmd())
	warmZxid, warmPackets := ensembleCounters(b, ensemble)
	wrapperCycle("bench-cycle")
	coldZxid, coldPackets := ensembleCounters(b, ensemble)
	cold := wrapperCycle(fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()))
	doneZxid, _ := ensembleCounters(b, ensemble)
	b.ReportMetric(float64(floorZxid-bareZxid), "bare-writes")
	b.ReportMetric(float64(floorPackets-barePackets-probe), "bare-packets")
	b.ReportMetric(float64(warmZxid-floorZxid), "floor-writes")
	b.ReportMetric(float64(warmPackets-floorPackets-probe), "floor-packets")
	b.ReportMetric(float64(coldZxid-warmZxid), "warm-writes")
	b.ReportMetric(float64(coldPackets-warmPackets-probe), "warm-packets")
	b.ReportMetric(float64(doneZxid-coldZxid), "cold-writes")
	b.ReportMetric(median(wrapper), "wrapper-ms/cycle")
	b.ReportMetric(median(bare), "bare-ms/cycle")
	b.ReportMetric(median(floor), "floor-ms/cycle")
	b.ReportMetric(median(c), "c-ms/cycle")
	b.ReportMetric(ms(cold), "cold-ms/cycle")
	b.ReportMetric(median(vsBare), "ratio")
	b.ReportMetric(median(vsFloor), "ratio-vs-floor")
	b.ReportMetric(median(floorVsBare), "floor/bare")
	b.ReportMetric(median(vsC), "ratio-vs-c")
}

// BenchmarkProcessStart is what one start of each of a run's two
// programs costs — the wrapper (`zoo-locked --version`) and its keeper
// (`zoo-locked-keeper`, which exits at once without the wrapper's
// arguments) — as median ratios to an empty static Go program started
// beside them.
func BenchmarkProcessStart(b *testing.B) {
	empty := emptyProgram.binary(b)
	zooLocked, _ := chaostest.Binaries(b)
	keeper := filepath.Join(filepath.Dir(zooLocked), "zoo-locked-keeper")
	timed := func(cmd *exec.Cmd) time.Duration {
		start := time.Now()
		_ = cmd.Run() // the keeper exits 64 without a wrapper; its start is what counts
		if cmd.ProcessState == nil {
			b.Fatalf("%s did not start", cmd.Path)
		}
		return time.Since(start)
	}
	var starts, keeperStarts, ratios, keeperRatios []float64
	for b.Loop() {
		for range 20 {
			ours := timed(exec.Command(zooLocked, "--version"))
			k := timed(exec.Command(keeper))
			e := timed(exec.Command(empty))
			starts, keeperStarts = append(starts, ms(ours)), append(keeperStarts, ms(k))
			ratios, keeperRatios = append(ratios, float64(ours)/float64(e)), append(keeperRatios, float64(k)/float64(e))
		}
	}
	b.ReportMetric(median(starts), "start-ms")
	b.ReportMetric(median(ratios), "start/empty-program")
	b.ReportMetric(median(keeperStarts), "keeper-start-ms")
	b.ReportMetric(median(keeperRatios), "keeper-start/empty-program")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
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
			if kids := proc.Descendants(cmd.Process.Pid); len(kids) >= 2 {
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

// bareParent, floorParent and cParent are where the baselines contend;
// keepParent makes them first, outside the timed cycles. The persistent
// child it leaves under floorParent is the floor's ledger.
const (
	bareParent  = "/bench-bare"
	floorParent = "/bench-floor"
	floorLedger = floorParent + "/keep"
	cParent     = "/bench-c"
)

func bareCycle(b *testing.B, servers []string) {
	if out, err := exec.Command(bareProgram.binary(b), strings.Join(servers, ","), bareParent, "true").CombinedOutput(); err != nil {
		b.Fatalf("baseline: %v\n%s", err, out)
	}
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
