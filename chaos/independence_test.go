package chaos_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHarnessSharesNoCodeWithTheWrapper: the proof may not lean on what it
// proves. The harness's packages build without the lock package and
// without anything of the zoo-locked command; they may import only the
// small pure packages under lock that state a rule both sides obey (the
// exit codes, the fence rule).
func TestHarnessSharesNoCodeWithTheWrapper(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../chaos", "../scenarios", "../cmd/zoo-chaos").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module = "github.com/zoo-locked/zoo-locked/"
	allowed := map[string]bool{"lock/exitcode": true, "lock/fencerule": true}
	for _, pkg := range strings.Fields(string(out)) {
		own, ok := strings.CutPrefix(pkg, module)
		if !ok {
			continue
		}
		if (own == "lock" || strings.HasPrefix(own, "lock/") || strings.HasPrefix(own, "cmd/zoo-locked")) && !allowed[own] {
			t.Errorf("the harness depends on %s, part of what it judges", own)
		}
	}
}
