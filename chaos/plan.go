package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// FaultSpec is a fault as a plan writes it: its kind, its target (a role
// — holder, waiter, leader, follower — or a name — node2, zk3), and the
// parameters of the kinds that have some.
type FaultSpec struct {
	Kind         string   `json:"fault"`
	Target       string   `json:"target,omitempty"`
	Latency      Duration `json:"latency,omitempty"`
	Jitter       Duration `json:"jitter,omitempty"`
	BeforeJobEnd Duration `json:"before_job_end,omitempty"`
}

// PlanStep is one step of a plan: a fault at At from the trial's start,
// healed after For.
type PlanStep struct {
	At  Duration `json:"at"`
	For Duration `json:"for,omitempty"`
	FaultSpec
	// Hit is what the fault hit when it ran: recorded plans say it, a
	// replay aims at the role again.
	Hit string `json:"hit,omitempty"`
}

// Plan is a fault schedule as JSON: what `zoo-chaos plan` prints, what
// `zoo-chaos run --plan` runs, and what verdict.json records as executed.
type Plan struct {
	Scenario string     `json:"scenario,omitempty"`
	Seed     int64      `json:"seed,omitempty"`
	Steps    []PlanStep `json:"steps"`
}

// Duration is a time.Duration written as Go writes it ("2.5s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"2.5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration such as \"2.5s\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// faultKinds builds each kind of fault from its spec.
var faultKinds = map[string]func(FaultSpec) (Fault, error){
	"partition": func(s FaultSpec) (Fault, error) {
		t, err := nodeTarget(s)
		return &PartitionNode{Target: t, BeforeJobEnd: time.Duration(s.BeforeJobEnd)}, err
	},
	"slow": func(s FaultSpec) (Fault, error) {
		if s.Latency <= 0 {
			return nil, errors.New("slow needs a latency, e.g. \"latency\": \"150ms\"")
		}
		return &SlowNodes{Latency: time.Duration(s.Latency), Jitter: time.Duration(s.Jitter)}, nil
	},
	"kill-wrapper": func(s FaultSpec) (Fault, error) {
		t, err := nodeTarget(s)
		return &KillWrapper{Target: t}, err
	},
	"pause-wrapper": func(s FaultSpec) (Fault, error) {
		t, err := nodeTarget(s)
		return &PauseWrapper{Target: t}, err
	},
	"kill-server":    serverFault(func(t ServerTarget) Fault { return Kill(t) }),
	"stop-server":    serverFault(func(t ServerTarget) Fault { return Stop(t) }),
	"pause-server":   serverFault(func(t ServerTarget) Fault { return Pause(t) }),
	"restart-server": serverFault(func(t ServerTarget) Fault { return Restart(t) }),
	"isolate-server": serverFault(func(t ServerTarget) Fault { return Isolate(t) }),
	"quorum-loss":    func(FaultSpec) (Fault, error) { return &QuorumLoss{}, nil },
}

// FaultKinds lists every kind a plan or `zoo-chaos fault` may name.
func FaultKinds() []string {
	kinds := make([]string, 0, len(faultKinds))
	for k := range faultKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// NewFault builds the fault a spec names.
func NewFault(s FaultSpec) (Fault, error) {
	build, ok := faultKinds[s.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown fault %q: want one of %s", s.Kind, strings.Join(FaultKinds(), ", "))
	}
	f, err := build(s)
	if err != nil {
		return nil, fmt.Errorf("fault %s: %w", s.Kind, err)
	}
	return f, nil
}

func nodeTarget(s FaultSpec) (NodeTarget, error) {
	if s.Target == "" {
		return "", errors.New("needs a target: holder, waiter or a node's name")
	}
	if strings.HasPrefix(s.Target, "zk") || s.Target == "leader" || s.Target == "follower" {
		return "", fmt.Errorf("target %q is a server; this fault hits a client node (holder, waiter, node1, …)", s.Target)
	}
	return NodeTarget(s.Target), nil
}

func serverFault(build func(ServerTarget) Fault) func(FaultSpec) (Fault, error) {
	return func(s FaultSpec) (Fault, error) {
		t, err := ParseServerTarget(s.Target)
		if err != nil {
			return nil, err
		}
		return build(t), nil
	}
}

// ParsePlan reads a plan, or the plan a verdict.json recorded.
func ParsePlan(data []byte) (Plan, error) {
	var doc struct {
		Plan
		Recorded *Plan `json:"plan"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		return Plan{}, fmt.Errorf("not a plan: %w", err)
	}
	p := doc.Plan
	if doc.Recorded != nil {
		p = *doc.Recorded
	}
	if p.Steps == nil {
		return Plan{}, errors.New("not a plan: no \"steps\" (nor a verdict.json's \"plan\")")
	}
	for i, s := range p.Steps {
		if _, err := NewFault(s.FaultSpec); err != nil {
			return Plan{}, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return p, nil
}

// Schedule builds the plan's steps, in order of At.
func (p Plan) Schedule() []Step {
	steps := make([]Step, 0, len(p.Steps))
	for _, s := range p.Steps {
		f, _ := NewFault(s.FaultSpec) // ParsePlan checked every spec
		steps = append(steps, Step{At: time.Duration(s.At), For: time.Duration(s.For), Fault: f})
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return int(a.At - b.At) })
	return steps
}

// PlanOf writes a schedule as a plan.
func PlanOf(scenario string, seed int64, steps []Step) Plan {
	p := Plan{Scenario: scenario, Seed: seed, Steps: []PlanStep{}}
	for _, s := range steps {
		p.Steps = append(p.Steps, PlanStep{At: Duration(s.At), For: Duration(s.For), FaultSpec: s.Fault.Spec()})
	}
	return p
}

// executedPlan is the plan the faults' windows say was run: each step at
// the offset its injection began, aimed at the role it was given.
func executedPlan(scenario string, seed int64, windows []FaultWindow) Plan {
	p := Plan{Scenario: scenario, Seed: seed, Steps: []PlanStep{}}
	for _, w := range windows {
		p.Steps = append(p.Steps, PlanStep{At: Duration(w.effectFrom()), For: Duration(w.Planned), FaultSpec: w.Spec, Hit: w.Target})
	}
	return p
}
