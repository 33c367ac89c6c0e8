package checker

import (
	"strings"
	"testing"
	"time"
)

// TestWrapperVerdicts: under --wrapper, the verdicts on zoo-locked's own
// contracts say they do not apply, S2 does when the tool passed no token,
// and S1 is judged as for zoo-locked.
func TestWrapperVerdicts(t *testing.T) {
	h := cleanHistory()
	h.Wrapper = "mylock {zk} {path} sh -c {job}"
	for i := range h.Intervals {
		h.Intervals[i].Token = 0
	}
	h.Intervals[1].Start = h.Intervals[0].Start + 500*time.Millisecond // an overlap
	rep := Check(h, Expect{})
	for _, name := range []string{"L3", "exits", "S2"} {
		if v := verdict(t, rep, name); !v.Pass || v.Required || !strings.Contains(v.Detail, "not applicable to this wrapper") {
			t.Errorf("%s under --wrapper: %+v, want not applicable", name, v)
		}
	}
	if v := verdict(t, rep, "S1"); v.Pass || !v.Required || rep.Pass {
		t.Fatalf("an overlap under --wrapper: S1 %+v, run pass %v; want a required failure", v, rep.Pass)
	}
}
