package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/lock"
)

// RunConfig says how to run a scenario.
type RunConfig struct {
	Seed     int64
	Nodes    int           // overrides the scenario's when > 0
	Duration time.Duration // overrides the scenario's when > 0
	// ZooLocked and Job are the binaries: zoo-locked, and one that runs
	// RunJob when called as "JOB job ..." (zoo-chaos).
	ZooLocked, Job string
	Backend        string
	Logger         *slog.Logger // progress lines
	// Ensemble reuses a running ensemble instead of starting one.
	Ensemble *Ensemble
}

// Run is one scenario in progress; faults act on it.
type Run struct {
	scenario Scenario
	cfg      RunConfig
	ensemble *Ensemble
	witness  *Witness
	nodes    []*workNode
	epoch    time.Time
	lockName string
	runID    string
	log      *slog.Logger
	wrappers bytes.Buffer // what the wrappers said, for the report
	wmu      sync.Mutex
}

// WrapperRun is one zoo-locked process of the workload.
type WrapperRun struct {
	Node  string        `json:"node"`
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
	Exit  int           `json:"exit"`
}

// LeaderChange records who led from At on (0: nobody).
type LeaderChange struct {
	At     time.Duration `json:"at_ns"`
	Leader int           `json:"leader"`
}

// History is everything recorded during a run; verdicts come from it alone.
type History struct {
	Scenario       string         `json:"scenario"`
	Seed           int64          `json:"seed"`
	Backend        string         `json:"backend"`
	Nodes          []string       `json:"nodes"`
	Duration       time.Duration  `json:"duration_ns"`
	SessionTimeout time.Duration  `json:"session_timeout_ns"`
	Intervals      []Interval     `json:"intervals"`
	Faults         []FaultWindow  `json:"faults"`
	Leaders        []LeaderChange `json:"leaders"`
	Wrappers       []WrapperRun   `json:"wrappers"`
	Orphans        []int          `json:"orphans"`
	LeftZnodes     []string       `json:"left_znodes"`
	// WrapperLog is what the wrappers wrote to stderr, each line stamped.
	WrapperLog string `json:"-"`
}

type workNode struct {
	name    string
	proxies *Node
	mu      sync.Mutex
	cmd     *exec.Cmd
	runs    []WrapperRun
}

func (n *workNode) running() bool { return n.wrapperPid() != 0 }

func (n *workNode) wrapperPid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

func (r *Run) node(name string) *workNode {
	for _, n := range r.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (r *Run) since() time.Duration { return time.Since(r.epoch) }

// Execute runs a scenario and returns its history; Check turns it into
// verdicts.
func Execute(ctx context.Context, sc Scenario, cfg RunConfig) (*History, error) {
	sc = sc.withDefaults()
	if cfg.Nodes > 0 {
		sc.Nodes = cfg.Nodes
	}
	if cfg.Duration > 0 {
		sc.Duration = cfg.Duration
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Run{scenario: sc, cfg: cfg, log: log, runID: fmt.Sprintf("%s-%d-%d", sc.Name, cfg.Seed, time.Now().UnixNano()),
		lockName: "chaos-" + sc.Name}
	r.ensemble = cfg.Ensemble
	if r.ensemble == nil {
		log.Info("starting ensemble", "scenario", sc.Name)
		e, err := NewEnsemble(ctx, Options{Backend: cfg.Backend, Logger: log})
		if err != nil {
			return nil, err
		}
		defer e.Close(context.WithoutCancel(ctx))
		r.ensemble = e
	}
	for i := 1; i <= sc.Nodes; i++ {
		name := fmt.Sprintf("node%d", i)
		p, err := r.ensemble.Node(name)
		if err != nil {
			return nil, err
		}
		r.nodes = append(r.nodes, &workNode{name: name, proxies: p})
	}
	r.epoch = time.Now()
	w, err := NewWitness(r.epoch)
	if err != nil {
		return nil, err
	}
	r.witness = w
	// One resource fenced by the highest token cannot serve N holders at
	// once: with --limit the witness records and checks token order only.
	w.unfenced = sc.Limit > 1
	schedule := sc.Schedule(cfg.Seed, sc.Duration)
	log.Info("running", "scenario", sc.Name, "seed", cfg.Seed, "nodes", sc.Nodes, "duration", sc.Duration, "faults", len(schedule))

	stopFiring := make(chan struct{})
	var workers sync.WaitGroup
	for _, n := range r.nodes {
		workers.Go(func() { r.fire(n, stopFiring) })
	}
	leadersDone := make(chan []LeaderChange)
	stopLeaders := make(chan struct{})
	go func() { leadersDone <- r.watchLeaders(ctx, stopLeaders) }()
	faults := r.nemesis(ctx, schedule)
	progress := time.NewTicker(5 * time.Second)
	deadline := time.NewTimer(sc.Duration)
loop:
	for {
		select {
		case <-progress.C:
			log.Info("progress", "scenario", sc.Name, "elapsed", r.since().Round(time.Second), "jobs_done", r.witness.Finished())
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	progress.Stop()
	windows := <-faults
	close(stopFiring)
	log.Info("settling: no new jobs, waiting for running ones", "scenario", sc.Name)
	workers.Wait()
	close(stopLeaders)
	h := &History{
		Scenario: sc.Name, Seed: cfg.Seed, Backend: r.ensemble.Backend(), Duration: r.since(),
		SessionTimeout: sc.SessionTimeout, Faults: windows, Leaders: <-leadersDone,
	}
	h.Intervals = w.Close()
	for _, n := range r.nodes {
		h.Nodes = append(h.Nodes, n.name)
		h.Wrappers = append(h.Wrappers, n.runs...)
	}
	h.LeftZnodes = r.leftZnodes(ctx)
	h.Orphans = orphans(r.runID)
	h.WrapperLog = r.WrapperLog()
	return h, nil
}

// fire is one simulated cron node: it fires the job through zoo-locked
// again as soon as the previous run ends, until told to stop.
func (r *Run) fire(n *workNode, stop <-chan struct{}) {
	sc := r.scenario
	for {
		select {
		case <-stop:
			return
		default:
		}
		args := append([]string{"--zk", n.proxies.ConnectString(),
			"--session-timeout", sc.SessionTimeout.String(), "--kill-grace", sc.KillGrace.String(),
			"--connect-timeout", "5s", "--wait-timeout", "30s", "--log-level", "info"}, sc.WrapperArgs...)
		if sc.Limit > 1 {
			args = append(args, "--limit", strconv.Itoa(sc.Limit))
		}
		if sc.OncePer > 0 {
			args = append(args, "--once-per", sc.OncePer.String())
		}
		args = append(args, r.lockName, "--", r.cfg.Job, "job", "--witness", r.witness.Addr(),
			"--node", n.name, "--length", sc.JobLength.String())
		if sc.Grandchild {
			args = append(args, "--grandchild")
		}
		cmd := exec.Command(r.cfg.ZooLocked, args...)
		cmd.Env = append(os.Environ(), "ZOOCHAOS_RUN="+r.runID)
		cmd.Stdout = io.Discard
		cmd.Stderr = &prefixWriter{r: r, prefix: n.name + ": "}
		start := r.since()
		if err := cmd.Start(); err != nil {
			r.log.Error("start wrapper", "node", n.name, "err", err)
			return
		}
		n.mu.Lock()
		n.cmd = cmd
		n.mu.Unlock()
		_ = cmd.Wait() // the exit code is recorded below
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		n.mu.Lock()
		n.cmd = nil
		n.runs = append(n.runs, WrapperRun{Node: n.name, Start: start, End: r.since(), Exit: code})
		n.mu.Unlock()
		// Cron fires on a schedule, not in a spin: a --once-per node that
		// skips must not fire hundreds of times a second.
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type prefixWriter struct {
	r      *Run
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.r.wmu.Lock()
	defer p.r.wmu.Unlock()
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			fmt.Fprintf(&p.r.wrappers, "%8.3fs %s%s", p.r.since().Seconds(), p.prefix, line)
		}
	}
	return len(b), nil
}

// nemesis runs the schedule and delivers the fault windows once every
// fault has healed.
func (r *Run) nemesis(ctx context.Context, steps []Step) <-chan []FaultWindow {
	out := make(chan []FaultWindow, 1)
	go func() {
		var windows []FaultWindow
		// A step that ran late (a holder fault waits for a holder) delays
		// every later one as much, so the spacing the schedule promises —
		// T+1.5s free after a holder loss for L1 — holds between the faults
		// as injected.
		var lag time.Duration
		for _, s := range steps {
			if wait := s.At + lag - r.since(); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
			fw := FaultWindow{Name: s.Fault.Name(), Kind: faultKind(s.Fault), HolderLoss: holderLoss(s, r.scenario), Began: r.since()}
			err := s.Fault.Start(ctx, r)
			fw.Start = r.since()
			lag = max(lag, fw.Start-s.At)
			if t, ok := s.Fault.(interface{ Target() string }); ok {
				fw.Target = t.Target()
			}
			if err != nil {
				fw.Error = err.Error()
				r.log.Warn("fault not injected", "fault", fw.Name, "err", err)
			} else {
				r.log.Info("fault", "fault", fw.Name, "target", fw.Target, "at", fw.Start.Round(time.Millisecond))
				select {
				case <-time.After(s.For):
				case <-ctx.Done():
				}
				if err := s.Fault.Heal(context.WithoutCancel(ctx), r); err != nil {
					fw.Error = "heal: " + err.Error()
					r.log.Warn("heal failed", "fault", fw.Name, "err", err)
				}
			}
			fw.End = r.since()
			r.log.Info("healed", "fault", fw.Name, "at", fw.End.Round(time.Millisecond))
			windows = append(windows, fw)
		}
		out <- windows
	}()
	return out
}

func (r *Run) watchLeaders(ctx context.Context, stop <-chan struct{}) []LeaderChange {
	var changes []LeaderChange
	last := -1
	for {
		leader, err := r.ensemble.Leader(ctx)
		if err != nil {
			leader = 0
		}
		if leader != last {
			changes = append(changes, LeaderChange{At: r.since(), Leader: leader})
			last = leader
		}
		select {
		case <-stop:
			return changes
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// leftZnodes lists contenders still under the lock once every wrapper has
// exited and the sessions of killed ones have had time to expire.
func (r *Run) leftZnodes(ctx context.Context) []string {
	// Sessions of the run's last wrappers expire only T after a leader
	// serves again: after a late heal (quorum loss) the servers may still
	// be electing one.
	quorumCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err := r.ensemble.WaitQuorum(quorumCtx)
	cancel()
	if err != nil {
		return []string{"(no quorum to list them: " + err.Error() + ")"}
	}
	conn, _, err := zk.Connect(strings.Split(r.ensemble.ConnectString(), ","), 4*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		return []string{"(cannot connect: " + err.Error() + ")"}
	}
	defer conn.Close()
	parent := path.Join("/zoo-locked", r.lockName)
	deadline := time.Now().Add(r.scenario.SessionTimeout + 5*time.Second)
	for {
		children, _, err := conn.Children(parent)
		if err == zk.ErrNoNode || (err == nil && len(children) == 0) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return []string{"(cannot list: " + err.Error() + ")"}
			}
			return lock.SortContenders(children)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// orphans lists living processes that carry the run's marker: every
// wrapper, keeper, job and grandchild inherited it, and all have exited.
func orphans(runID string) []int {
	var left []int
	entries, _ := os.ReadDir("/proc") // unreadable /proc: nothing to report
	marker := []byte("ZOOCHAOS_RUN=" + runID + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, marker) {
			continue
		}
		if lock.Alive(pid) {
			left = append(left, pid)
		}
	}
	slices.Sort(left)
	return left
}

// WrapperLog is what the wrappers wrote to stderr, each line stamped.
func (r *Run) WrapperLog() string {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.wrappers.String()
}
