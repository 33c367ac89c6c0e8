package faults

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// slowFault takes a while to inject, as stopping servers or waiting for a
// holder does.
type slowFault struct {
	inject     time.Duration
	since      func() time.Duration
	began, end time.Duration
}

func (f *slowFault) Spec() FaultSpec { return FaultSpec{Kind: "slow-to-inject"} }
func (f *slowFault) Name() string    { return "slow to inject" }

func (f *slowFault) Start(context.Context, Stage) error {
	f.began = f.since()
	time.Sleep(f.inject) // the fault being injected, not a wait for an event
	f.end = f.since()
	return nil
}

func (f *slowFault) Heal(context.Context, Stage) error { return nil }

// quietNemesis runs faults that need no stage (slowFault), on a clock of
// its own, logging nothing.
func quietNemesis() NemesisRun {
	epoch := time.Now()
	return NemesisRun{Ctx: context.Background(), Since: func() time.Duration { return time.Since(epoch) },
		Log: slog.New(slog.DiscardHandler), FenceAfter: time.Second}
}

// TestFaultWindowsCoverInjection: a window records when injection began and
// when it was done, and a step that ran late delays the next one as much,
// so the gap the schedule put between them holds.
func TestFaultWindowsCoverInjection(t *testing.T) {
	n := quietNemesis()
	first, second := &slowFault{inject: 300 * time.Millisecond, since: n.Since}, &slowFault{since: n.Since}
	windows := <-n.InTurn([]Step{
		{At: 0, For: 10 * time.Millisecond, Fault: first},
		{At: 100 * time.Millisecond, For: 10 * time.Millisecond, Fault: second},
	})
	if len(windows) != 2 {
		t.Fatalf("windows %+v", windows)
	}
	if w := windows[0]; w.InjectionBegan > first.began || w.InEffect < first.end {
		t.Fatalf("window began %v, started %v; injection ran %v–%v", w.InjectionBegan, w.InEffect, first.began, first.end)
	}
	if gap := second.began - first.end; gap < 100*time.Millisecond {
		t.Fatalf("second fault %v after the first was injected; the schedule put 100ms between them", gap)
	}
}

// exampleSpec is a spec of each kind as a plan would write it, with the
// parameters the kind needs.
func exampleSpec(t *testing.T, kind string) FaultSpec {
	t.Helper()
	onServer := strings.HasSuffix(kind, "-server") || kind == "clock-jump" || kind == "clock-drift"
	params := map[string]string{"slow": `,"latency":"1ms"`, "clock-jump": `,"offset":"1h"`, "node-clock": `,"offset":"-1h"`,
		"clock-drift": `,"rate":0.1`, "upgrade-server": `,"version":"3.9"`, "partition": `,"before_job_end":"1s"`}[kind]
	target := map[bool]string{true: "zk1", false: "node1"}[onServer]
	if kind == "slow" || kind == "quorum-loss" {
		target = ""
	}
	var s FaultSpec
	if err := json.Unmarshal([]byte(`{"fault":"`+kind+`","target":"`+target+`"`+params+`}`), &s); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return s
}

// TestEveryFaultSaysWhatItHit: each kind of fault that aims at a node or
// a server reports what it hit, for the fault window and the timeline, and
// its spec names the kind it was built as.
func TestEveryFaultSaysWhatItHit(t *testing.T) {
	for _, kind := range FaultKinds() {
		f, err := NewFault(exampleSpec(t, kind))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if _, ok := f.(Landed); !ok {
			t.Errorf("fault %s (%T) does not say what it hit", kind, f)
		}
		if got := f.Spec().Kind; got != kind {
			t.Errorf("fault %s built from its spec says it is %s: a plan could not replay it", kind, got)
		}
	}
}

// TestEveryKindsParametersRoundTrip: a fault's spec, written as a plan
// writes it and read back, builds the same fault, parameters and all.
func TestEveryKindsParametersRoundTrip(t *testing.T) {
	for _, kind := range FaultKinds() {
		f, err := NewFault(exampleSpec(t, kind))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		step := PlanStep{At: Duration(time.Second), For: Duration(2 * time.Second), FaultSpec: f.Spec(), Hit: "x"}
		b, err := json.Marshal(step)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var back PlanStep
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %s: %v", kind, b, err)
		}
		again, err := NewFault(back.FaultSpec)
		if err != nil {
			t.Fatalf("%s: %s: %v", kind, b, err)
		}
		if back.At != step.At || back.For != step.For || back.Hit != step.Hit || again.Name() != f.Name() {
			t.Errorf("%s: %s read back as %+v, %q; want %+v, %q", kind, b, back, again.Name(), step, f.Name())
		}
	}
}

// TestSpecRefusesParametersItsKindLacks: a key the kind does not take is
// an error naming the kind's own, not a fault run without it.
func TestSpecRefusesParametersItsKindLacks(t *testing.T) {
	for doc, want := range map[string]string{
		`{"fault":"kill-server","target":"leader","latency":"1s"}`: "kill-server takes no parameters, got latency",
		`{"fault":"clock-jump","target":"zk1","ofset":"1h"}`:       "its parameters: offset",
		`{"fault":"slow","latency":"1s","rate":0.5}`:               "its parameters: jitter, latency",
	} {
		var s FaultSpec
		if err := json.Unmarshal([]byte(doc), &s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error saying %q", doc, err, want)
		}
	}
}

// TestPlanStepsOverlap: a plan's steps run at their own offsets, so faults
// overlap as an incident's did.
func TestPlanStepsOverlap(t *testing.T) {
	n := quietNemesis()
	long, short := &slowFault{since: n.Since}, &slowFault{since: n.Since}
	windows := <-n.AtOffsets([]Step{
		{At: 0, For: 400 * time.Millisecond, Fault: long},
		{At: 100 * time.Millisecond, For: 50 * time.Millisecond, Fault: short},
	})
	if len(windows) != 2 {
		t.Fatalf("windows %+v", windows)
	}
	if second := windows[1]; second.InjectionBegan < 80*time.Millisecond || second.InjectionBegan > 300*time.Millisecond || second.InjectionBegan > windows[0].End {
		t.Fatalf("the second step began at %v, within the first's window (to %v) at 100ms wanted", second.InjectionBegan, windows[0].End)
	}
}
