package chaos

import "time"

// Timing is how fast the ensemble and the wrappers keep time: the test
// timing keeps the catalogue quick, the production timing is what
// operators run, so that ride-through is judged as they will see it.
type Timing struct {
	Name           string
	TickTime       time.Duration // the servers' tickTime
	SessionTimeout time.Duration // what the wrappers ask for
	KillGrace      time.Duration
}

var (
	// FastTiming is the catalogue's: tickTime 200 ms, sessions of 3 s.
	FastTiming = Timing{Name: "fast", TickTime: 200 * time.Millisecond, SessionTimeout: 3 * time.Second, KillGrace: 500 * time.Millisecond}
	// ProductionTiming is ZooKeeper's default tickTime (2 s) with the
	// wrapper's default session timeout (10 s) and kill grace (2 s).
	ProductionTiming = Timing{Name: "production", TickTime: 2 * time.Second, SessionTimeout: 10 * time.Second, KillGrace: 2 * time.Second}
)

// TimingNamed finds a timing by name.
func TimingNamed(name string) (Timing, bool) {
	for _, t := range []Timing{FastTiming, ProductionTiming} {
		if t.Name == name {
			return t, true
		}
	}
	return Timing{}, false
}
