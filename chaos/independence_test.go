package chaos_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHarnessSharesNoCodeWithTheWrapper: the proof may not lean on what it
// proves. The harness's packages build without the lock package and
// without anything of the zoo-locked command; of the module's shared
// packages they may import only the small pure ones that state a rule both
// sides obey (the exit codes, the fence rule), the servers' JVM setup and
// the commands' manual.
func TestHarnessSharesNoCodeWithTheWrapper(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../chaos", "../scenarios", "../cmd/zoo-chaos").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module = "github.com/zoo-locked/zoo-locked/"
	allowed := map[string]bool{"internal/exitcode": true, "internal/fencerule": true, "internal/zkserver": true, "cmd/internal/manual": true}
	for _, pkg := range strings.Fields(string(out)) {
		own, ok := strings.CutPrefix(pkg, module)
		if !ok {
			continue
		}
		wrappers := own == "lock" || strings.HasPrefix(own, "lock/") || strings.HasPrefix(own, "cmd/zoo-locked") ||
			strings.HasPrefix(own, "cmd/internal/") || strings.HasPrefix(own, "internal/")
		if wrappers && !allowed[own] {
			t.Errorf("the harness depends on %s, part of what it judges", own)
		}
	}
}
