package fleet

import (
	"time"

	"github.com/zoo-locked/zoo-locked/lock/schedule"
	"github.com/zoo-locked/zoo-locked/lock/seam"
)

// clockError is how far this host's wall clock is from the ensemble's: the
// leader stamps our contender's ctime with its clock, and we noted our own
// at the create's midpoint. Slots are judged on the ensemble's clock, so
// that every node of a fleet decides alike whatever its own clock says.
type clockError struct {
	cfg    Config
	behind time.Duration // ensemble minus ours
}

// ensembleClock measures the clock error on the contender just granted,
// and warns when it is over a second.
func ensembleClock(cfg Config, h *held) clockError {
	onEnsemble, onOurClock := h.m.Created()
	c := clockError{cfg: cfg, behind: onEnsemble.Sub(onOurClock)}
	if c.behind > time.Second || c.behind < -time.Second {
		cfg.Logger.Warn("this host's clock differs from the ensemble's; --once-per slots follow the ensemble's",
			"lock", cfg.Name, "ensemble_minus_local", c.behind.Round(time.Millisecond))
	}
	return c
}

// onEnsemble turns a reading of this host's clock into the ensemble's time.
func (c clockError) onEnsemble(local time.Time) time.Time { return local.Add(c.behind).UTC() }

// now is the ensemble's time now.
func (c clockError) now() time.Time { return c.onEnsemble(seam.Now()) }

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
