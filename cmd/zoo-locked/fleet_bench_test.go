package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// fleetSize is how many nodes fire the same job at the same second.
const fleetSize = 50

// BenchmarkFleet fires one job from 50 wrappers at once, as a fleet's crons
// do at :00, and reports what that costs the ensemble: quorum writes (the
// leader's zxid advance) and packets (mntr), per wrapper; the job's runs
// (1 is right for --once-per and for --no-wait with a job longer than the
// fleet's arrival); and the wall time from the first start to the last
// exit, less the job's own second. The baseline, measured in the same run,
// is 50 bare go-zookeeper programs (testdata/bareclient) doing the floor:
// session, contender, close.
//
//	once-per  50 × --once-per 1h, the lock's parent present (warm)
//	no-wait   50 × --no-wait on a plain lock
//	cold      50 × --once-per 1h on a lock whose parent does not exist
func BenchmarkFleet(b *testing.B) {
	e := chaostest.SharedEnsemble(b)
	servers := strings.Split(e.ConnectString(), ",")
	keepParent(b, servers, bareParent)
	baseline := fleetFiring(b, e, func(int) *exec.Cmd {
		return exec.Command(bareProgram.binary(b), e.ConnectString(), bareParent)
	})
	b.ReportMetric(baseline.writes, "bare-writes/process")
	for _, mode := range []struct {
		name string
		args func(lock string) []string
		warm bool
	}{
		{"once-per", func(lock string) []string { return []string{"--once-per", "1h", lock} }, true},
		{"no-wait", func(lock string) []string { return []string{"--no-wait", "--busy-exit-code", "0", lock} }, true},
		{"cold", func(lock string) []string { return []string{"--once-per", "1h", lock} }, false},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var total fleetCost
			for b.Loop() {
				b.StopTimer()
				lock := fmt.Sprintf("bench-fleet-%s-%d", mode.name, time.Now().UnixNano())
				if mode.warm {
					keepParent(b, servers, "/zoo-locked/"+lock)
				}
				runs := filepath.Join(b.TempDir(), "runs")
				b.StartTimer()
				cost := fleetFiring(b, e, func(int) *exec.Cmd {
					return benchZooLocked(b, append(mode.args(lock), "--", "sh", "-c", "echo run >> "+runs+"; sleep 1")...)
				})
				b.StopTimer()
				data, _ := os.ReadFile(runs) // no file: no run, reported as 0
				cost.runs = float64(strings.Count(string(data), "run"))
				total.add(cost)
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(total.runs/n, "job-runs")
			b.ReportMetric(total.writes/n, "writes/wrapper")
			b.ReportMetric(total.writes/n/baseline.writes, "writes/floor")
			b.ReportMetric(total.packets/n, "packets/wrapper")
			b.ReportMetric((total.wall/time.Duration(b.N) - time.Second).Seconds(), "wall-s-beyond-job")
		})
	}
}

// fleetCost is one fleet firing as the ensemble saw it.
type fleetCost struct {
	writes, packets, runs float64 // per process, except runs
	wall                  time.Duration
}

func (c *fleetCost) add(o fleetCost) {
	c.writes += o.writes
	c.packets += o.packets
	c.runs += o.runs
	c.wall += o.wall
}

// fleetFiring starts fleetSize processes at once, waits for all, and
// returns the writes and packets per process and the wall time.
func fleetFiring(b *testing.B, e *ensemble.Ensemble, cmd func(i int) *exec.Cmd) fleetCost {
	b.Helper()
	zxid0, packets0 := ensembleCounters(b, e)
	start := time.Now()
	var cmds []*exec.Cmd
	for i := range fleetSize {
		c := cmd(i)
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			b.Fatalf("%s: %v", c.Path, err)
		}
	}
	wall := time.Since(start)
	// Sessions closed by the last processes are committed by now: each
	// process waited for its close to be answered.
	zxid1, packets1 := ensembleCounters(b, e)
	return fleetCost{
		writes:  float64(zxid1-zxid0) / fleetSize,
		packets: float64(packets1-packets0) / fleetSize,
		wall:    wall,
	}
}

// ensembleCounters reads the leader's last zxid and the packets every
// server received and sent.
func ensembleCounters(b testing.TB, e *ensemble.Ensemble) (zxid, packets int64) {
	b.Helper()
	ctx := context.Background()
	leader, err := e.Leader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	srvr, err := ensemble.FourLetterWord(ctx, e.ClientAddr(leader), "srvr")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(srvr, "\n") {
		if v, ok := strings.CutPrefix(line, "Zxid: "); ok {
			zxid, err = strconv.ParseInt(strings.TrimSpace(v), 0, 64)
			if err != nil {
				b.Fatalf("zxid %q: %v", v, err)
			}
		}
	}
	for _, id := range e.IDs() {
		mntr, err := ensemble.FourLetterWord(ctx, e.ClientAddr(id), "mntr")
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(mntr, "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && (f[0] == "zk_packets_received" || f[0] == "zk_packets_sent") {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				packets += n
			}
		}
	}
	return zxid, packets
}
