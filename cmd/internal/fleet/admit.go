package fleet

import "time"

// A firing granted the lock is admitted to run its job, or told why not:
// the one decision between acquire and run, in the order the reasons
// weigh. Its reads are given as functions, made only where the decision
// gets that far: a paused firing reads no slot record.

// skipReason is why a granted firing does not run its job.
type skipReason int

const (
	admitted     skipReason = iota
	skipClock               // this host's clock and the ensemble's disagree beyond ClockBound
	skipPaused              // a pause is in effect
	skipSlotDone            // --once-per: this slot (or a later one) already ran
	skipAttempts            // --once-per: the slot failed --max-attempts times
)

// firingFacts is what the decision reads.
type firingFacts struct {
	pause *Pause
	now   time.Time // the ensemble's
	// clocksDisagree: the decision needs the time, and this host's clock
	// and the ensemble's disagree beyond ClockBound.
	clocksDisagree bool
	oncePer        bool
	ranThisSlot    func() (bool, error)
	maxAttempts    int
	failedInSlot   func() (int, error)
}

// admission is the decision: admitted, or a skip and, for skipAttempts,
// how many runs of the slot failed.
type admission struct {
	skip   skipReason
	failed int
}

// admit decides; an error (a read that failed, a record naming a slot not
// begun) ends the firing without running the job.
func admit(f firingFacts) (admission, error) {
	switch {
	case f.clocksDisagree:
		return admission{skip: skipClock}, nil
	case f.pause.InEffect(f.now):
		return admission{skip: skipPaused}, nil
	case !f.oncePer:
		return admission{}, nil
	}
	if done, err := f.ranThisSlot(); err != nil || done {
		return admission{skip: skipSlotDone}, err
	}
	if f.maxAttempts == 0 {
		return admission{}, nil
	}
	failed, err := f.failedInSlot()
	if err != nil || failed >= f.maxAttempts {
		return admission{skip: skipAttempts, failed: failed}, err
	}
	return admission{}, nil
}
