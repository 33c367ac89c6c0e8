package fleet

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The run ledger as data: its entries, how each ended, the counts a firing
// decides by, its JSON. Where it lives in ZooKeeper and how it is written
// is ledger.go's; nothing here talks to a server.

// LedgerSize bounds the ledger: the last runs, a few hundred bytes each.
const LedgerSize = 20

// How a run ended, as the ledger says it.
const (
	EndExited     = "exited"      // the job exited by itself (Exit is its status)
	EndFenced     = "fenced"      // the lock was lost and the job killed (Reason says why)
	EndMaxRuntime = "max-runtime" // --max-runtime stopped it
	EndSignal     = "signal"      // a signal to the wrapper stopped it
	EndStopped    = "stop"        // `zoo-locked stop` stopped it (Reason says who)
	// EndRefused: the firing never started the job, the clocks disagreeing
	// (Reason says by how much); at most one such entry per host is kept.
	EndRefused = "refused"
)

// RunEntry is one run in the ledger: written before the job starts, completed
// when it ends. An entry never completed was lost with its holder (a crash,
// or a lock lost with the session).
type RunEntry struct {
	ID    string `json:"id"` // RunID of the lock name and token
	Host  string `json:"host"`
	Pid   int    `json:"pid"`
	Token int64  `json:"token"`
	// Start and End are on the ensemble's clock.
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end,omitempty"`
	Exit   *int       `json:"exit,omitempty"`
	Ending string     `json:"ending,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// SlotStart is the --once-per slot the run belongs to, if any.
	SlotStart *time.Time `json:"slot_start,omitempty"`
	// State is what Inspect makes of the entry: ok, failed, fenced,
	// stopped, refused, running or lost; "reset" for a reset entry.
	State string `json:"state,omitempty"`
}

// Succeeded says the run ended by itself with status 0.
func (e RunEntry) Succeeded() bool {
	return e.End != nil && e.Ending == EndExited && e.Exit != nil && *e.Exit == 0
}

// state judges an entry; alive says whether its contender still exists.
func (e RunEntry) state(alive bool) string {
	switch {
	case e.End == nil && alive:
		return "running"
	case e.End == nil:
		return "lost"
	case e.Succeeded():
		return "ok"
	case e.Ending == EndFenced:
		return "fenced"
	case e.Ending == EndRefused:
		return "refused"
	case e.Ending == EndReset:
		return "reset"
	case e.Ending == EndExited:
		return "failed"
	}
	return "stopped"
}

// RunID is the run's id, a UUID (version 5 form) derived from the lock
// name and the run's token: the same for every observer of the run, and
// unique per run because tokens are.
func RunID(name string, token int64) string {
	sum := sha1.Sum([]byte("zoo-locked/" + name + "/" + strconv.FormatInt(token, 10)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ledger is the lock's last runs, oldest first.
type ledger struct {
	Runs []RunEntry `json:"runs"`
}

func decodeLedger(data []byte) (ledger, error) {
	var l ledger
	err := json.Unmarshal(data, &l)
	return l, err
}

func (l ledger) encode() ([]byte, error) { return json.Marshal(l) }

// latestUnended says the latest run never completed its entry: its holder
// left without a word (lockdelay.go).
func (l ledger) latestUnended() bool {
	return len(l.Runs) > 0 && l.Runs[len(l.Runs)-1].End == nil
}

func (l ledger) clone() ledger { return ledger{Runs: slices.Clone(l.Runs)} }

// same says two ledgers hold the same entries: a transaction made again
// after a dropped connection that shows already took effect.
func (l ledger) same(other ledger) bool {
	a, errA := l.encode()
	b, errB := other.encode()
	return errA == nil && errB == nil && string(a) == string(b)
}

// trim keeps the last LedgerSize entries.
func (l *ledger) trim() {
	if over := len(l.Runs) - LedgerSize; over > 0 {
		l.Runs = l.Runs[over:]
	}
}

// add appends a run's start entry, once: made again, it is not entered twice.
func (l *ledger) add(e RunEntry) {
	if !slices.ContainsFunc(l.Runs, func(r RunEntry) bool { return r.ID == e.ID }) {
		l.Runs = append(l.Runs, e)
	}
}

// end completes run id with end; a run whose start entry never made it
// (or was trimmed) is added whole.
func (l *ledger) end(id string, end func(*RunEntry)) {
	for i := range l.Runs {
		if l.Runs[i].ID == id {
			end(&l.Runs[i])
			return
		}
	}
	e := RunEntry{ID: id}
	end(&e)
	l.Runs = append(l.Runs, e)
}

// refuse enters a clock refusal in place of its host's last one: a fleet
// refusing every minute must not push the real runs out.
func (l *ledger) refuse(e RunEntry) {
	l.Runs = slices.DeleteFunc(l.Runs, func(r RunEntry) bool { return r.Ending == EndRefused && r.Host == e.Host })
	l.Runs = append(l.Runs, e)
}

// EndReset marks a ledger entry that is no run: `zoo-locked reset` forgave
// the failed attempts before it (Reason says who), so --max-attempts
// counts afresh.
const EndReset = "reset"

// FailedInSlot counts the runs that belong to the slot starting at
// slotStart and did not succeed, since the last reset.
func FailedInSlot(runs []RunEntry, slotStart time.Time) int {
	return failedAfterReset(runs, func(slot time.Time) bool { return slot.Equal(slotStart) })
}

// failedSinceReset counts the failed --once-per runs after the last reset.
func failedSinceReset(runs []RunEntry) int {
	return failedAfterReset(runs, func(time.Time) bool { return true })
}

// failedAfterReset counts the --once-per runs whose slot inSlot accepts
// and that did not succeed, after the last reset entry.
func failedAfterReset(runs []RunEntry, inSlot func(time.Time) bool) int {
	n := 0
	for _, r := range runs {
		switch {
		case r.Ending == EndReset:
			n = 0
		case r.SlotStart != nil && inSlot(*r.SlotStart) && !r.Succeeded():
			n++
		}
	}
	return n
}
