package keeper

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

var (
	// ErrNotFound and ErrNotExecutable: the command cannot be started.
	ErrNotFound      = errors.New("command not found")
	ErrNotExecutable = errors.New("command not executable")
	// ErrFailed: the keeper itself failed (it died, a pipe broke); the
	// job's tree is dead.
	ErrFailed = errors.New("internal error")
)

// startError classifies a failed exec of the job.
func startError(argv0 string, err error) error {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%w: %s: %v", ErrNotFound, argv0, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrNotExecutable, argv0, err)
}
