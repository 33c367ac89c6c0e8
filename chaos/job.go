package chaos

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"
)

// WitnessJob is the job the workload runs under zoo-locked (`zoo-chaos job`): it
// reports to the witness, writes to it as a fenced resource every 100 ms
// for length, and optionally leaves a grandchild that ignores SIGTERM and
// SIGHUP, the hardest tree for the wrapper to clean up. It stops writing at
// the first refusal, as a fenced job should.
func WitnessJob(witness, node string, length time.Duration, grandchild bool) int {
	conn, err := net.Dial("tcp", witness)
	if err != nil {
		fmt.Fprintf(os.Stderr, "job: witness: %v\n", err)
		return 2
	}
	defer conn.Close()
	if grandchild {
		gc := exec.Command("/bin/sh", "-c", `trap "" TERM HUP; while :; do sleep 1; done`)
		if err := gc.Start(); err != nil {
			fmt.Fprintf(os.Stderr, "job: grandchild: %v\n", err)
			return 2
		}
	}
	fmt.Fprint(conn, hello(node))
	replies := bufio.NewScanner(conn)
	deadline := time.Now().Add(length)
	for time.Now().Before(deadline) {
		if _, err := fmt.Fprintln(conn, sayWrite); err != nil {
			return 2
		}
		if !replies.Scan() {
			return 2
		}
		if replies.Text() == sayStale {
			fmt.Fprintf(os.Stderr, "job on %s: write refused, token %s is stale\n", node, os.Getenv("ZOOLOCKED_TOKEN"))
			return 3
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}
