package fleet

import (
	"errors"
	"fmt"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
)

// ClockBound is how far this host's clock and the ensemble's may disagree
// (beyond the measurement's own error) before a firing that decides by
// time refuses to decide. Healthy NTP keeps both within milliseconds, so
// 5 s is far above any sound error, and far below the hour a stepped or
// resumed clock is off by; within it, a slot is judged at most 5 s from
// true time, which the slot lead already absorbs (docs/DESIGN.md, "Clocks").
const ClockBound = 5 * time.Second

// ErrClockDisagrees: this host's clock and the ensemble's disagree beyond
// ClockBound, or a record names a slot that has not begun, and the firing
// needed time to decide; it ran nothing.
var ErrClockDisagrees = errors.New("clocks disagree")

// clockError is how far this host's wall clock is from the ensemble's: the
// leader stamps our contender's ctime with its clock, and we noted our own
// at the create's midpoint. Slots are judged on the ensemble's clock, so
// that every node of a fleet decides alike whatever its own clock says.
type clockError struct {
	cfg             Config
	behind          time.Duration // ensemble minus ours
	within          time.Duration // the measurement's error
	local, ensemble time.Time     // the two readings
	server          string        // the server the session went through
}

// ensembleClock measures the clock error on the contender just granted,
// and warns when it is over a second.
func ensembleClock(cfg Config, h *held) clockError {
	onEnsemble, onOurClock, within := h.m.Created()
	c := clockError{cfg: cfg, behind: onEnsemble.Sub(onOurClock), within: within,
		local: onOurClock, ensemble: onEnsemble, server: h.s.Conn().Server()}
	if c.behind > time.Second || c.behind < -time.Second {
		cfg.Logger.Warn("this host's clock differs from the ensemble's; --once-per slots and timed pauses follow the ensemble's",
			"lock", cfg.Name, "ensemble_minus_local", c.behind.Round(time.Millisecond), "server", c.server)
	}
	return c
}

// disagrees says the two clocks are further apart than ClockBound, even
// allowing for the measurement's error: one of them is wrong, and nothing
// here can tell which.
func (c clockError) disagrees() bool { return c.behind.Abs() > ClockBound+c.within }

// refusal is the one line a refusing firing prints: both clocks, the
// server, the fix.
func (c clockError) refusal() error {
	return fmt.Errorf("%w: this host's clock read %s when the ensemble's (server %s) read %s, %v apart, more than the %v a --once-per or timed-pause firing may trust; it ran nothing. "+
		"Fix whichever clock is wrong (chronyc tracking, or timedatectl, on this host and on %s); the next firing once they agree runs the slot",
		ErrClockDisagrees, c.local.UTC().Format(time.RFC3339Nano), c.server, c.ensemble.UTC().Format(time.RFC3339Nano),
		c.behind.Abs().Round(time.Millisecond), ClockBound, c.server)
}

// onEnsemble turns a reading of this host's clock into the ensemble's time.
func (c clockError) onEnsemble(local time.Time) time.Time { return local.Add(c.behind).UTC() }

// now is the ensemble's time now.
func (c clockError) now() time.Time { return c.onEnsemble(c.cfg.now()) }

// slotLead is how early a firing may come and still count for the slot
// about to begin: a fleet whose clocks all run a few seconds ahead of the
// ensemble's fires "early", and must neither skip the slot it meant nor
// run the one before twice.
func slotLead(start, end time.Time) time.Duration {
	return min(end.Sub(start)/20, 10*time.Second)
}

// slotOf is the slot a firing at fired (ensemble time) belongs to.
func slotOf(s schedule.Schedule, fired time.Time) (start, end time.Time) {
	start, end = s.Slot(fired)
	if end.Sub(fired) <= slotLead(start, end) {
		return s.Slot(end)
	}
	return start, end
}

// needsClock says a firing decides by time, and so must trust the clocks:
// a --once-per firing picks its slot by them, one under a timed pause
// whether the pause has ended.
func needsClock(cfg Config, p *Pause) bool {
	return cfg.OncePer != nil || (p != nil && p.Until != nil)
}
