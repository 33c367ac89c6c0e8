package fleet

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/zoo-locked/zoo-locked/cmd/internal/keeper"
)

// Outcomes of a run beyond the lock's own (lock.ErrBusy, lock.ErrLockLost,
// …); cmd/zoo-locked maps each to an exit code.
var (
	// ErrNotFound and ErrNotExecutable: the command cannot be started.
	ErrNotFound      = keeper.ErrNotFound
	ErrNotExecutable = keeper.ErrNotExecutable
	// ErrInternal: the wrapper itself failed (the keeper died, a pipe
	// broke); the child tree is dead.
	ErrInternal = errors.New("internal error")
	// ErrUnreadableRecord: the lock's --once-per record holds bytes that
	// are not a zoo-locked record; a run cannot tell whether its slot ran.
	ErrUnreadableRecord = errors.New("record unreadable")
)

// InterruptedError: a signal ended the wait before the job started.
type InterruptedError struct{ Signal syscall.Signal }

func (e *InterruptedError) Error() string { return fmt.Sprintf("interrupted by %v", e.Signal) }
