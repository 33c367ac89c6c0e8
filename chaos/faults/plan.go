package faults

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
// — holder, waiter, leader, follower — or a name — node2, zk3), and
// Params, the kind's own parameters: the struct its kind registers beside
// the fault (SlowParams, ClockParams, …), nil for a kind that has none.
// In JSON it is one flat object: {"fault": "slow", "latency": "150ms"}.
type FaultSpec struct {
	Kind   string
	Target string
	Params any
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
	v, err := unmarshalDuration(b, "2.5s", false)
	if err == nil {
		*d = Duration(v)
	}
	return err
}

// SignedDuration is a Duration that may be negative ("-1h").
type SignedDuration time.Duration

func (d SignedDuration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *SignedDuration) UnmarshalJSON(b []byte) error {
	v, err := unmarshalDuration(b, "-1h", true)
	if err == nil {
		*d = SignedDuration(v)
	}
	return err
}

// unmarshalDuration reads a duration as Go writes it; the error shows
// example, a duration of the kind wanted.
func unmarshalDuration(b []byte, example string, signed bool) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, fmt.Errorf("want a duration such as %q, got %s", example, b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || (v < 0 && !signed) {
		return 0, fmt.Errorf("want a duration such as %q, got %q", example, s)
	}
	return v, nil
}

// faultKind is one kind of fault as a plan or `zoo-chaos fault` names it,
// declared once beside its fault: the name its Spec says, the struct of
// its parameters (nil: none), and how a spec builds it.
type faultKind struct {
	Name   string
	params func() any
	build  func(FaultSpec) (Fault, error)
}

// kindWith declares a kind whose parameters are a P: a spec decoded for
// it carries a *P, and build gets one (zero when the spec has none).
func kindWith[P any](name string, build func(s FaultSpec, p P) (Fault, error)) faultKind {
	return faultKind{Name: name, params: func() any { return new(P) }, build: func(s FaultSpec) (Fault, error) {
		var p P
		if given, ok := s.Params.(*P); ok && given != nil {
			p = *given
		}
		return build(s, p)
	}}
}

// faultKinds are the kinds a plan may name.
var faultKinds = []faultKind{
	PartitionKind, slowKind, KillWrapperKind, PauseWrapperKind, endSessionKind, NodeClockKind,
	killServerKind, stopServerKind, pauseServerKind, restartServerKind, isolateServerKind, quorumLossKind,
	ClockJumpKind, ClockDriftKind, upgradeServerKind,
}

// FaultKinds lists every kind a plan or `zoo-chaos fault` may name.
func FaultKinds() []string {
	kinds := make([]string, 0, len(faultKinds))
	for _, k := range faultKinds {
		kinds = append(kinds, k.Name)
	}
	sort.Strings(kinds)
	return kinds
}

// NewFault builds the fault a spec names.
func NewFault(s FaultSpec) (Fault, error) {
	i := slices.IndexFunc(faultKinds, func(k faultKind) bool { return k.Name == s.Kind })
	if i < 0 {
		return nil, fmt.Errorf("unknown fault %q: want one of %s", s.Kind, strings.Join(FaultKinds(), ", "))
	}
	f, err := faultKinds[i].build(s)
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
func ExecutedPlan(scenario string, seed int64, windows []FaultWindow) Plan {
	p := Plan{Scenario: scenario, Seed: seed, Steps: []PlanStep{}}
	for _, w := range windows {
		p.Steps = append(p.Steps, PlanStep{At: Duration(w.EffectFrom()), For: Duration(w.Planned), FaultSpec: w.Spec, Hit: w.Target})
	}
	return p
}
