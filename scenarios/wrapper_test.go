package scenarios

import (
	"strings"
	"testing"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
)

// TestWrapperJudgesAnyTool: holder-sigkill under --wrapper. A stand-in for
// the replaced C tool (it runs its job as a plain child) fails it: the
// killed wrapper's job or its grandchild runs on. zoo-locked, fired
// through the same template, passes; the verdicts on zoo-locked's own exit
// codes say they do not apply to a template.
func TestWrapperJudgesAnyTool(t *testing.T) {
	zooLocked, zooChaos := chaostest.Binaries(t)
	tools := map[string]string{
		"c-recipe":   zooChaos + " foreign --recipe c --zk {zk} --path {path} -- sh -c {job}",
		"zoo-locked": zooLocked + " --zk {zk} --session-timeout 3s --kill-grace 500ms --connect-timeout 5s {name} -- sh -c {job}",
	}
	for _, name := range []string{"c-recipe", "zoo-locked"} {
		t.Run(name, func(t *testing.T) {
			_, rep, dir := trial(t, Get("holder-sigkill"), chaos.TrialConfig{Seed: 1, Wrapper: tools[name], Ensemble: chaostest.SharedEnsemble(t)})
			var exits chaos.Verdict
			for _, v := range rep.Verdicts {
				if v.Name == "exits" {
					exits = v
				}
			}
			if !strings.Contains(exits.Detail, "not applicable to this wrapper") {
				t.Errorf("exits under --wrapper: %+v", exits)
			}
			if rep.JobsCompleted == 0 {
				t.Fatalf("%s completed no job under the template; report in %s", name, dir)
			}
			if name == "c-recipe" && rep.Pass {
				t.Fatalf("the C recipe's wrapper passed holder-sigkill: its killed wrapper's tree should run on; report in %s", dir)
			}
			if name == "zoo-locked" && !rep.Pass {
				for _, v := range rep.Verdicts {
					t.Logf("  %s %v: %s", v.Name, v.Pass, v.Detail)
				}
				t.Fatalf("zoo-locked through --wrapper failed holder-sigkill; report in %s", dir)
			}
		})
	}
}
