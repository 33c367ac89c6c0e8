package chaos

import (
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// TestWrapperTemplate: each placeholder becomes one shell word, whatever
// it holds, and {job} gives back the job's argv through sh -c.
func TestWrapperTemplate(t *testing.T) {
	job := []string{"printf", "%s|", "it's", "a b"}
	line := expandWrapper("printf '%s\\n' {zk} {path} {name}; sh -c {job}", "127.0.0.1:1,127.0.0.1:2", "/zoo-locked/x y", "x y", job)
	out, err := exec.Command("/bin/sh", "-c", line).Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if want := "127.0.0.1:1,127.0.0.1:2\n/zoo-locked/x y\nx y\nit's|a b|"; string(out) != want {
		t.Fatalf("%s gave %q, want %q", line, out, want)
	}
}

func TestCheckWrapper(t *testing.T) {
	plain := Scenario{Name: "plain"}
	if err := CheckWrapper(plain, "mylock {zk} {path} sh -c {job}"); err != nil {
		t.Fatalf("a plain scenario and a template with {job}: %v", err)
	}
	if err := CheckWrapper(plain, "mylock {zk} {path}"); err == nil || !strings.Contains(err.Error(), "{job}") {
		t.Fatalf("a template without {job}: %v, want the fix", err)
	}
	if err := CheckWrapper(Scenario{Name: "once", OncePer: time.Hour}, "mylock {job}"); err == nil || !strings.Contains(err.Error(), "--once-per") {
		t.Fatalf("a --once-per scenario: %v, want a refusal naming the flag", err)
	}
	ended := Scenario{Name: "ended", Faults: func(*rand.Rand, time.Duration) []faults.Step {
		return []faults.Step{{At: time.Second, Fault: &faults.EndSession{Target: faults.Holder}}}
	}}
	if err := CheckWrapper(ended, "mylock {job}"); err == nil || !strings.Contains(err.Error(), "ZOOLOCKED_SESSION") {
		t.Fatalf("a scenario that ends the holder's session: %v, want a refusal saying why", err)
	}
}
