package ensemble_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// TestMovableClocks: a server's clock moves only on an ensemble that asked
// for movable clocks, and there it shows in znode stamps while the server
// idles as a server should.
func TestMovableClocks(t *testing.T) {
	for _, backend := range testBackends() {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			fixed := chaostest.Ensemble(t, ensemble.Options{Backend: backend, Servers: 1})
			if err := fixed.SetClock(ctx, 1, time.Hour); !errors.Is(err, ensemble.ErrFixedClocks) {
				t.Fatalf("SetClock on fixed clocks: %v, want ErrFixedClocks", err)
			}
			if skew := stampSkew(t, connect(t, fixed.ConnectString(), 4*time.Second)); skew.Abs() > time.Minute {
				t.Fatalf("a fixed clock stamps %v off the true time", skew)
			}

			before := faketimeJVMs(t)
			movable := chaostest.Ensemble(t, ensemble.Options{Backend: backend, Servers: 1, MovableClocks: true})
			// An idle server under faketime must idle: with faketime's
			// monotonic fix on, each JVM spun at 1.7 cores, and three of
			// them starved the ensemble on a small machine.
			for pid := range faketimeJVMs(t) {
				if !before[pid] {
					if cores := cpuCores(t, pid, 2*time.Second); cores > 0.3 {
						t.Fatalf("an idle server under faketime uses %.2f cores", cores)
					}
				}
			}
			if err := movable.SetClock(ctx, 1, time.Hour); err != nil {
				t.Fatal(err)
			}
			// faketime re-reads its file each second: the stamps follow
			// within a few writes.
			c := connect(t, movable.ConnectString(), 4*time.Second)
			poll := time.NewTicker(200 * time.Millisecond)
			defer poll.Stop()
			deadline := time.Now().Add(10 * time.Second)
			for range poll.C {
				skew := stampSkew(t, c)
				if skew > 59*time.Minute && skew < 61*time.Minute {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server's stamps are %v off the true time 10 s after a +1h step", skew)
				}
			}
		})
	}
}

// stampSkew writes a znode and returns how far its ctime (the server's
// wall clock) is from this machine's.
func stampSkew(t *testing.T, c *client) time.Duration {
	t.Helper()
	before := time.Now()
	path, err := c.Create("/skew-", nil, zk.FlagSequence|zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	_, stat, err := c.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	return time.UnixMilli(stat.Ctime).Sub(before)
}

// faketimeJVMs are the processes on this machine (containers' too) that
// run with faketime preloaded.
func faketimeJVMs(t *testing.T) map[int]bool {
	t.Helper()
	environs, err := filepath.Glob("/proc/[0-9]*/environ")
	if err != nil {
		t.Fatal(err)
	}
	pids := map[int]bool{}
	for _, environ := range environs {
		env, err := os.ReadFile(environ)
		if err != nil || !bytes.Contains(env, []byte("FAKETIME_TIMESTAMP_FILE=")) {
			continue // gone, or not faked
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(environ)))
		pids[pid] = true
	}
	if len(pids) == 0 && len(environs) == 0 {
		t.Fatal("no /proc to read")
	}
	return pids
}

// cpuCores is the CPU pid used over a window, in cores.
func cpuCores(t *testing.T, pid int, window time.Duration) float64 {
	t.Helper()
	ticks := func() int {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		// Fields after the command name, which may hold spaces: utime
		// and stime are the 12th and 13th (USER_HZ = 100 on Linux).
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		utime, _ := strconv.Atoi(fields[11])
		stime, _ := strconv.Atoi(fields[12])
		return utime + stime
	}
	start, begun := ticks(), time.Now()
	<-time.After(window)
	return float64(ticks()-start) / 100 / time.Since(begun).Seconds()
}
