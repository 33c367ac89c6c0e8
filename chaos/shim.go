package chaos

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// Shim runs a user's job in place of the built-in one (`zoo-chaos shim`):
// it reports the job's start, a stop request and its end to the witness,
// so that S1, S3, S4 and L1 are judged on the user's own job without the
// job knowing. Signals reach the job untouched (it shares the shim's
// process group, which is what the wrapper signals), and the job's exit
// status, or the signal that killed it, is the shim's own.
func Shim(witness, node string, argv []string) int {
	conn, err := net.Dial("tcp", witness)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos shim: witness: %v\n", err)
		return 2
	}
	defer conn.Close()
	// The group's signals reach the job directly; the shim stays to see
	// the end, noting a TERM as the request to stop.
	stops := make(chan os.Signal, 4)
	signal.Notify(stops, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	fmt.Fprint(conn, hello(node))
	job := exec.Command(argv[0], argv[1:]...)
	job.Stdin, job.Stdout, job.Stderr = os.Stdin, os.Stdout, os.Stderr
	job.Env = append(os.Environ(), "ZOOCHAOS_NODE="+node)
	if err := job.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos shim: %v\n", err)
		fmt.Fprintln(conn, sayExit, 127)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127
		}
		return 126
	}
	ended := make(chan error, 1)
	go func() { ended <- job.Wait() }()
	for {
		select {
		case sig := <-stops:
			if sig == syscall.SIGTERM {
				fmt.Fprintln(conn, sayTerm)
			}
		case <-ended:
			ws := job.ProcessState.Sys().(syscall.WaitStatus)
			status := exitcode.OfWait(ws)
			fmt.Fprintln(conn, sayExit, status)
			conn.Close()
			if ws.Signaled() {
				// Die of the same signal, so the wrapper sees what the job did.
				signal.Reset(ws.Signal())
				_ = syscall.Kill(os.Getpid(), ws.Signal())
			}
			return status
		}
	}
}
