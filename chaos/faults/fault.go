package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// Fault is one kind of failure: Start injects it, Heal undoes it. A fault
// that picks its target at Start (the holder, the leader) remembers it for
// Heal, so each schedule needs fresh values.
type Fault interface {
	// Spec is the fault as a plan writes it (its kind, target, parameters).
	Spec() FaultSpec
	// Name says what it does to what, for the report.
	Name() string
	Start(ctx context.Context, on Stage) error
	Heal(ctx context.Context, on Stage) error
}

// Stage is what a fault needs from the run it acts on: the servers, and
// the client nodes with the wrappers they run. A scenario's trial is one;
// `zoo-chaos up` is another, with no workload.
type Stage interface {
	Ensemble() *ensemble.Ensemble
	// Client resolves a target to one client node: by name, or by role
	// (a holder target waits briefly for a job to hold the lock).
	Client(ctx context.Context, target NodeTarget) (Client, error)
	// Clients is every client node.
	Clients() []Client
}

// Client is one simulated client host: its links to the servers, and the
// zoo-locked process it runs now, if any.
type Client interface {
	Name() string
	Links() *ensemble.Node
	// WrapperPid is the running wrapper's pid, or 0.
	WrapperPid() int
}

// JobClock is what a stage with a workload adds: when the holder's job
// will end, for faults timed against it.
type JobClock interface {
	// HolderJobEndsIn says how long until the job holding the lock ends.
	HolderJobEndsIn() (time.Duration, error)
}

// Landed is a fault that says where it landed once started: the node or
// server its target (a role such as "holder" or "leader") resolved to.
type Landed interface {
	LandedOn() string
}

// HolderLoser is a fault that may take the lock holder away; the checker
// measures the takeover after it (L1) when LosesHolder says it did, given
// how long it lasted and the fence deadline of the run's wrappers.
type HolderLoser interface {
	// AimedAtHolder says the fault hits the lock holder's node.
	AimedAtHolder() bool
	LosesHolder(lasting, fenceAfter time.Duration) bool
}

// NodeTarget names a client node by role or by name.
type NodeTarget string

const (
	// Holder is the node whose job holds the lock when the fault starts.
	Holder NodeTarget = "holder"
	// Waiter is a node whose wrapper waits for the lock.
	Waiter NodeTarget = "waiter"
)

// ServerTarget names a server by role, or by id when ID > 0.
type ServerTarget struct {
	Role string // "leader", "follower", or "" with ID
	ID   int
}

var (
	// Leader is the server that leads when the fault starts.
	Leader = ServerTarget{Role: "leader"}
	// Follower is a server that follows when the fault starts.
	Follower = ServerTarget{Role: "follower"}
)

// Server names server id (zk1, zk2, …).
func Server(id int) ServerTarget { return ServerTarget{ID: id} }

func (t ServerTarget) String() string {
	if t.ID > 0 {
		return "zk" + strconv.Itoa(t.ID)
	}
	return t.Role
}

// ParseServerTarget reads "leader", "follower" or "zkN".
func ParseServerTarget(s string) (ServerTarget, error) {
	switch s {
	case "leader":
		return Leader, nil
	case "follower":
		return Follower, nil
	}
	if id, err := strconv.Atoi(strings.TrimPrefix(s, "zk")); err == nil && strings.HasPrefix(s, "zk") && id > 0 {
		return Server(id), nil
	}
	return ServerTarget{}, fmt.Errorf("no server %q: want leader, follower or zkN", s)
}

// resolve picks the server id the target means now.
func (t ServerTarget) resolve(ctx context.Context, e *ensemble.Ensemble) (int, error) {
	if t.ID > 0 {
		for _, id := range e.IDs() {
			if id == t.ID {
				return id, nil
			}
		}
		return 0, fmt.Errorf("no server zk%d", t.ID)
	}
	leader, err := e.Leader(ctx)
	if err != nil {
		return 0, err
	}
	if t.Role == "follower" {
		return leader%len(e.IDs()) + 1, nil
	}
	return leader, nil
}

// targeted is embedded by faults to remember what they hit.
type targeted struct{ target string }

func (t *targeted) LandedOn() string { return t.target }
