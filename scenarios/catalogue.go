// Package scenarios is the chaos catalogue: each scenario a named,
// documented value, runnable one by one (`zoo-chaos run NAME`) and as a
// `go test` case.
package scenarios

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// Session settings every scenario runs with (the test ensemble grants up
// to 4 s); fencerule.After gives the fence deadline they imply.
const (
	sessionTimeout = 3 * time.Second
	killGrace      = 500 * time.Millisecond
)

func once(at, length time.Duration, f faults.Fault) func(*rand.Rand, time.Duration) []faults.Step {
	return func(*rand.Rand, time.Duration) []faults.Step {
		return []faults.Step{{At: at, For: length, Fault: f}}
	}
}

// All is the catalogue, in the order `zoo-chaos list` shows it.
func All() []chaos.Scenario {
	return slices.Concat(core(), Clocks(), Versions())
}

func core() []chaos.Scenario {
	return []chaos.Scenario{
		{Name: "baseline", Doc: "Three nodes contend for the lock with no fault: exclusion, progress, clean hand-offs."},
		{Name: "holder-sigkill", Doc: "The holder's wrapper is SIGKILLed while its job runs with a grandchild that ignores TERM and HUP: the tree dies with it, its keeper ends the session, and a waiter takes over within 1 s. The job is longer than T, so a tool that leaves it running lets two jobs overlap.",
			// 9 s: the killed holder's job, begun before the kill at 4 s,
			// must outlive the takeover at 4 s + T (3 s) + a tick, or a
			// tool that leaves it running would show orphans but no overlap.
			Grandchild: true, JobLength: 9 * time.Second, Duration: 20 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 4 * time.Second, Fault: &faults.KillWrapper{Target: faults.Holder}}}
			}},
		{Name: "holder-sigkill-30s", Doc: "holder-sigkill at --session-timeout 30s, the longest of the ride-through table, on servers at ZooKeeper's default 2 s tick: the waiter's job still starts within 1 s of the kill, where waiting out the session would take 30 s.",
			Grandchild: true, TickTime: 2 * time.Second, SessionTimeout: 30 * time.Second, KillGrace: 2 * time.Second,
			JobLength: 6 * time.Second, Duration: 15 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 4 * time.Second, Fault: &faults.KillWrapper{Target: faults.Holder}}}
			}},
		{Name: "holder-partition", Doc: "The holder's node is cut from the ensemble for longer than T: its job is fenced before the session expires and a waiter is granted the lock.",
			JobLength: 5 * time.Second, Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: sessionTimeout + 2*time.Second, Fault: &faults.PartitionNode{Target: faults.Holder}}}
			}},
		{Name: "short-blip", Doc: "The holder's node loses the ensemble for 1 s, less than the fence deadline: nothing is killed, no lock lost (L3).",
			JobLength: 4 * time.Second, Expect: checker.Expect{RideThrough: true},
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: time.Second, Fault: &faults.PartitionNode{Target: faults.Holder}}}
			}},
		{Name: "leader-kill", Doc: "The ZooKeeper leader is killed (SIGKILL) and restarted 4 s later; sessions move to the survivors.",
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: 4 * time.Second, Fault: faults.Kill(faults.Leader)}}
			}},
		{Name: "follower-restart", Doc: "A follower is restarted gracefully while jobs run.",
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, Fault: faults.Restart(faults.Follower)}}
			}},
		{Name: "leader-isolated", Doc: "The leader is cut from its peers (its clients still reach it) for 6 s: it loses its quorum, the others elect a new leader.",
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: 6 * time.Second, Fault: faults.Isolate(faults.Leader)}}
			}},
		{Name: "quorum-loss", Doc: "Two of three servers stop for 5 s: nobody can hold the lock meanwhile (the holder is fenced), work resumes after.",
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: 5 * time.Second, Fault: &faults.QuorumLoss{}}}
			}},
		{Name: "slow-network", Doc: "Every node's links get 150±50 ms of latency for 6 s.",
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: 6 * time.Second, Fault: &faults.SlowNodes{Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond}}}
			}},
		{Name: "holder-paused", Doc: "The holder's wrapper and job are frozen (SIGSTOP) for longer than T: S1 may break — no lock service can prevent it — but the fenced resource refuses every stale write (S2).",
			JobLength: 4 * time.Second, Expect: checker.Expect{S1MayFail: true},
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: sessionTimeout + 2*time.Second, Fault: &faults.PauseWrapper{Target: faults.Holder}}}
			}},
		{Name: "holder-session-ended", Doc: "The holder's session is ended from outside mid-job, as anyone who reaches the ensemble and reads the lock path can (the servers derive the password from the session's id): the holder kills its job, a waiter takes over, and no two jobs overlap.",
			JobLength: 5 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, Fault: &faults.EndSession{Target: faults.Holder}}}
			}},
		{Name: "waiter-expiry", Doc: "A waiting node is cut for longer than T: its session expires, it contends again cleanly; the holder is untouched.",
			JobLength: 3 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 3 * time.Second, For: sessionTimeout + time.Second, Fault: &faults.PartitionNode{Target: faults.Waiter}}}
			}},
		{Name: "rolling-restart", Doc: "Each server in turn is restarted while jobs run, as in a ZooKeeper upgrade.",
			Duration: 18 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				var steps []faults.Step
				for i, id := range []int{1, 2, 3} {
					steps = append(steps, faults.Step{At: time.Duration(3+4*i) * time.Second, Fault: faults.Restart(faults.Server(id))})
				}
				return steps
			}},
		{Name: "random", Doc: "A seed-driven mix of every fault above, one after another; the same seed gives the same schedule.",
			Duration: 25 * time.Second, JobLength: 2 * time.Second, Grandchild: true, Faults: Random, Expect: checker.Expect{S1MayFail: true}},
		{Name: "limit", Doc: "Four nodes share a --limit 2 semaphore while a holder is SIGKILLed and another partitioned: never three jobs at once, all keep completing.",
			Nodes: 4, Limit: 2, JobLength: 2 * time.Second, Expect: checker.Expect{Limit: 2},
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{
					{At: 3 * time.Second, Fault: &faults.KillWrapper{Target: faults.Holder}},
					{At: 8 * time.Second, For: sessionTimeout + time.Second, Fault: &faults.PartitionNode{Target: "node1"}},
				}
			}},
		{Name: "once-per", Doc: "Three nodes fire an hourly --once-per job over and over: it runs exactly once in the slot, every other firing skips.",
			OncePer: time.Hour, Duration: 10 * time.Second, Expect: checker.Expect{Runs: runs(1, 1)}},
		{Name: "once-per-lost-record", Doc: "The holder of a --once-per job is cut from the ensemble just before its job succeeds, so the run cannot be recorded: another node runs it again in the same slot (at-least-once, as documented), never at the same time.",
			OncePer: time.Hour, JobLength: 2 * time.Second, Duration: 12 * time.Second, Expect: checker.Expect{Runs: runs(1, 2)},
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{{At: 500 * time.Millisecond, For: sessionTimeout + 2*time.Second, Fault: &faults.PartitionNode{Target: faults.Holder, BeforeJobEnd: 300 * time.Millisecond}}}
			}},
		{Name: "mixed-fleet-c", Doc: "Two nodes still fire the replaced C tool (ZooKeeper's C lock recipe, tried once) and one zoo-locked, on one lock path: never two jobs at once, and the C tool never breaks on what zoo-locked leaves.",
			Foreign: []string{checker.RecipeC, checker.RecipeC}},
		{Name: "mixed-fleet-curator", Doc: "One node takes the lock with Curator's InterProcessMutex and two with zoo-locked, on one lock path, all waiting: one queue, never two jobs at once.",
			Foreign: []string{checker.RecipeCurator}},
		{Name: "rolling-migration", Doc: "Three nodes start on the replaced C tool; while the fleet fires, each in turn switches to zoo-locked with its crontab line unchanged (HOSTS PATH 'COMMAND'): never a double run at any point of the move.",
			Duration: 20 * time.Second, Foreign: []string{checker.RecipeC, checker.RecipeC, checker.RecipeC}, Migrate: true},
		{Name: "demo", Doc: "The invoice job on three nodes with one holder crash and one partition: what make demo shows.",
			Grandchild: true, JobLength: 2 * time.Second, Duration: 14 * time.Second,
			Faults: func(*rand.Rand, time.Duration) []faults.Step {
				return []faults.Step{
					{At: 3 * time.Second, Fault: &faults.KillWrapper{Target: faults.Holder}},
					{At: 8 * time.Second, For: sessionTimeout + time.Second, Fault: &faults.PartitionNode{Target: faults.Holder}},
				}
			}},
	}
}

func runs(lo, hi int) struct{ Min, Max int } { return struct{ Min, Max int }{lo, hi} }

// Unsafe is holder-partition run with the fence disabled: the checker
// must report the overlap that follows (S1 fails on purpose).
func Unsafe() chaos.Scenario {
	s := Get("holder-partition")
	s.Name, s.Doc = "unsafe-holder-partition", "holder-partition with the fence disabled: proves the checker catches an overlap."
	s.WrapperArgs = []string{"--unsafe-no-fence"}
	// The job must outlive the expiry for the overlap to show.
	s.JobLength = 12 * time.Second
	s.Expect = checker.Expect{S1MustFail: true}
	return s
}

// Get returns the scenario of that name, or the zero Scenario.
func Get(name string) chaos.Scenario {
	for _, s := range All() {
		if s.Name == name {
			return s
		}
	}
	switch name {
	case "unsafe-holder-partition":
		return Unsafe()
	case "unsafe-leader-clock-jump":
		return UnsafeClock()
	case "soak":
		return Soak()
	}
	return chaos.Scenario{}
}

// Random draws faults one after another from the whole catalogue: each
// starts 1–3 s after the previous healed and lasts 1–5 s.
func Random(rng *rand.Rand, duration time.Duration) []faults.Step {
	return drawFaults(rng, duration, pacing{margin: 2 * time.Second, length: [2]time.Duration{time.Second, 5 * time.Second},
		gap: [2]time.Duration{time.Second, 3 * time.Second}, afterHolderLoss: sessionTimeout + 1500*time.Millisecond})
}

// pacing is how a drawn schedule spaces its faults: lengths and gaps drawn
// in [lo, hi), none within margin of either end, and after a fault aimed
// at the holder its takeover window (T + 1 s and some) free of others, so
// that L1 is judged on it.
type pacing struct {
	margin          time.Duration
	length, gap     [2]time.Duration
	afterHolderLoss time.Duration
}

// drawFaults draws faults of every kind one after another, paced.
func drawFaults(rng *rand.Rand, duration time.Duration, p pacing) []faults.Step {
	between := func(r [2]time.Duration) time.Duration {
		return r[0] + time.Duration(rng.IntN(int((r[1]-r[0])/time.Millisecond)))*time.Millisecond
	}
	var steps []faults.Step
	at := p.margin
	for {
		length := between(p.length)
		if at+length > duration-p.margin {
			return steps
		}
		f := randomFault(rng)
		steps = append(steps, faults.Step{At: at, For: length, Fault: f})
		next := at + length + between(p.gap)
		if l, ok := f.(faults.HolderLoser); ok && l.AimedAtHolder() {
			next = max(next, at+p.afterHolderLoss)
		}
		at = next
	}
}

// randomFault draws one fault of any kind.
func randomFault(rng *rand.Rand) faults.Fault {
	makers := []func() faults.Fault{
		func() faults.Fault { return &faults.PartitionNode{Target: faults.Holder} },
		func() faults.Fault { return &faults.PartitionNode{Target: faults.Waiter} },
		func() faults.Fault { return faults.Isolate(faults.Leader) },
		func() faults.Fault {
			return &faults.SlowNodes{Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond}
		},
		func() faults.Fault { return faults.Kill(faults.Leader) },
		func() faults.Fault { return faults.Stop(faults.Follower) },
		func() faults.Fault { return faults.Restart(faults.Follower) },
		func() faults.Fault { return faults.Pause(faults.Follower) },
		func() faults.Fault { return &faults.QuorumLoss{} },
		func() faults.Fault { return &faults.KillWrapper{Target: faults.Holder} },
		func() faults.Fault { return &faults.PauseWrapper{Target: faults.Holder} },
		// Clocks: a step either way of 10 s to an hour, a drift, a node
		// off by half a minute; each matters to a --once-per job.
		func() faults.Fault {
			step := time.Duration(10+rng.IntN(3590)) * time.Second
			if rng.IntN(2) == 0 {
				step = -step
			}
			return faults.JumpClock(faults.Leader, step)
		},
		func() faults.Fault { return faults.DriftClock(faults.Leader, 0.3) },
		func() faults.Fault { return &faults.NodeClock{Target: faults.Waiter, Offset: 30 * time.Second} },
	}
	return makers[rng.IntN(len(makers))]()
}
