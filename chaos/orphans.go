package chaos

import (
	"bytes"
	"os"
	"slices"
	"strconv"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// orphans lists living processes that carry the run's marker: every
// wrapper, keeper, job and grandchild inherited it, and all have exited
// (S3).
func orphans(runID string) []int {
	var left []int
	entries, _ := os.ReadDir("/proc") // unreadable /proc: nothing to report
	marker := []byte("ZOOCHAOS_RUN=" + runID + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, marker) {
			continue
		}
		if faults.Living(pid) {
			left = append(left, pid)
		}
	}
	slices.Sort(left)
	return left
}
