package scenarios

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-locked/zoo-locked/chaos"
	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// TestWrapperJudgesAnyTool: holder-sigkill under --wrapper. ZooKeeper's C
// recipe as the replaced tool uses it (docs/examples/peers/c-lock.c, which
// popens its job) fails it: the killed wrapper's job runs on past the
// session's expiry, beside the next holder's, and its grandchild outlives
// the run. zoo-locked, fired through the same template, passes; the
// verdicts on zoo-locked's own exit codes say they do not apply to a
// template.
func TestWrapperJudgesAnyTool(t *testing.T) {
	zooLocked, _ := chaostest.Binaries(t)
	cLock := filepath.Join(t.TempDir(), "c-lock")
	if out, err := exec.Command("gcc", "-O2", "-o", cLock, "../docs/examples/peers/c-lock.c", "-lzookeeper_mt").CombinedOutput(); err != nil {
		t.Fatalf("build the C peer (needs gcc and libzookeeper-mt-dev: make deps): %v\n%s", err, out)
	}
	tools := map[string]string{
		"c-recipe":   cLock + " {zk} {path} {job}",
		"zoo-locked": zooLocked + " --zk {zk} --session-timeout 3s --kill-grace 500ms --connect-timeout 5s {name} -- sh -c {job}",
	}
	for _, name := range []string{"c-recipe", "zoo-locked"} {
		t.Run(name, func(t *testing.T) {
			h, rep, dir := trial(t, Get("holder-sigkill"), chaos.TrialConfig{Seed: 1, Wrapper: tools[name], Ensemble: chaostest.SharedEnsemble(t)})
			var exits checker.Verdict
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
			if name == "c-recipe" && (rep.Pass || rep.Overlaps == 0 || len(h.Orphans) == 0) {
				t.Fatalf("the C recipe under holder-sigkill: pass %v, %d overlaps, orphans %v; its killed wrapper's job should run on beside the next; report in %s",
					rep.Pass, rep.Overlaps, h.Orphans, dir)
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
