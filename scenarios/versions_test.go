package scenarios

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// coreScenarios are the ones every ZooKeeper version the image script
// builds must pass: a crashed and a cut holder, a lost leader, and the
// once-per ledger (each judges exclusion as baseline does).
var coreScenarios = []string{"holder-sigkill", "holder-partition", "leader-kill", "once-per"}

// TestRollingUpgrade runs rolling-upgrade on a 3.8 ensemble and checks
// that every server runs 3.9 after it.
func TestRollingUpgrade(t *testing.T) {
	from, _ := ensemble.ImageFor(ensemble.Versions[0])
	e := chaostest.Ensemble(t, ensemble.Options{Image: from})
	assertVersion(t, e, ensemble.Versions[0])
	rep := runOn(t, Get("rolling-upgrade"), e)
	if rep.JobsCompleted == 0 {
		t.Fatal("no job completed during the upgrade")
	}
	assertVersion(t, e, upgradeTo)
}

func assertVersion(t *testing.T, e *ensemble.Ensemble, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range e.IDs() {
		got, err := ensemble.ServerVersion(ctx, e.ClientAddr(id))
		if err != nil || !strings.HasPrefix(got, version+".") {
			t.Fatalf("server %d runs %q (%v), want %s.x", id, got, err, version)
		}
	}
}

// TestCoreScenariosOnOtherVersions runs the core scenarios on each
// version besides the default one (TestCatalogue's), one ensemble per
// version, after checking that its servers run that version.
func TestCoreScenariosOnOtherVersions(t *testing.T) {
	for _, version := range ensemble.Versions[1:] {
		t.Run("zookeeper-"+version, func(t *testing.T) {
			image, err := ensemble.ImageFor(version)
			if err != nil {
				t.Fatal(err)
			}
			e := chaostest.Ensemble(t, ensemble.Options{Image: image})
			assertVersion(t, e, version)
			for _, name := range coreScenarios {
				t.Run(name, func(t *testing.T) {
					rep := runOn(t, Get(name), e)
					if rep.JobsCompleted == 0 {
						t.Fatalf("%s on %s completed no job", name, version)
					}
				})
			}
		})
	}
}
