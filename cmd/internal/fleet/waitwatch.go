package fleet

import (
	"context"
	"os"
	"syscall"
	"time"
)

// waitWatch ends the wait for the lock on the first signal. It is the only
// reader of the signals until stop, and stop says whether it took one: a
// signal that lands between the grant and the end of the wait must stop
// the job from starting, not vanish.
type waitWatch struct {
	ctx         context.Context
	stopWaiting context.CancelCauseFunc
	taken       chan syscall.Signal
	done        chan struct{}
}

func watchWait(ctx context.Context, signals <-chan os.Signal) *waitWatch {
	w := &waitWatch{taken: make(chan syscall.Signal, 1), done: make(chan struct{})}
	w.ctx, w.stopWaiting = context.WithCancelCause(ctx)
	go func() {
		defer close(w.done)
		select {
		case sig := <-signals:
			w.taken <- sig.(syscall.Signal)
			w.stopWaiting(&InterruptedError{Signal: sig.(syscall.Signal)})
		case <-w.ctx.Done():
		}
	}()
	return w
}

// stop ends the watch and returns the signal it took, or 0.
func (w *waitWatch) stop() syscall.Signal {
	w.stopWaiting(nil)
	<-w.done
	select {
	case sig := <-w.taken:
		return sig
	default:
		return 0
	}
}

func (w *waitWatch) deliverForTest(sig syscall.Signal) {
	_ = syscall.Kill(os.Getpid(), sig) // to ourselves: cannot fail
	select {
	case <-w.ctx.Done():
	case <-time.After(2 * time.Second):
	}
}
