package keeper

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// Run is a keeper process's whole life, for whichever binary is the keeper
// (zoo-locked-keeper, or zoo-locked itself where that is not installed):
// args are its arguments, Arg first. It returns the exit status the
// wrapper reads as the job's: the job's own, or, when the job could not be
// started, what a shell would say (127, 126), with the reason on stderr.
func Run(args []string) int {
	if len(args) == 0 || args[0] != Arg {
		fmt.Fprintln(os.Stderr, "zoo-locked-keeper: started by zoo-locked only, once per run; see zoo-locked --help")
		return exitcode.Usage
	}
	// The keeper waits on a pipe, a signal and wait4, never on CPU; one P
	// spares it the threads that wake, spin and sleep again with each
	// event, on cores it shares with the job and the wrapper.
	runtime.GOMAXPROCS(1)
	status, err := Main(args[1:])
	switch {
	case err == nil:
		return status
	case errors.Is(err, ErrNotFound):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.NotFound
	case errors.Is(err, ErrNotExecutable):
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.CannotExec
	default:
		fmt.Fprintf(os.Stderr, "zoo-locked: %v\n", err)
		return exitcode.Internal
	}
}
