package chaos_test

import (
	"os/exec"
	"slices"
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

// TestHarnessIsLayered: the harness's parts import each other one way
// only, from the servers up to the report, so each can be read, tested
// and replaced with what lies beneath it alone; the trial (this package)
// sits on top and nothing beneath imports it.
func TestHarnessIsLayered(t *testing.T) {
	const chaos = "github.com/zoo-locked/zoo-locked/chaos"
	beneath := map[string][]string{
		"ensemble": nil,
		"faults":   {"ensemble"},
		"checker":  {"ensemble", "faults"},
		"report":   {"ensemble", "faults", "checker"},
	}
	for part, may := range beneath {
		out, err := exec.Command("go", "list", "-deps", "./"+part).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", part, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if pkg != chaos && !strings.HasPrefix(pkg, chaos+"/") {
				continue
			}
			other := strings.TrimPrefix(strings.TrimPrefix(pkg, chaos), "/")
			if other != part && !slices.Contains(may, other) {
				t.Errorf("chaos/%s depends on %s; it may build only on %v", part, pkg, may)
			}
		}
	}
}
