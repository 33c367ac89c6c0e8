package faults

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// EndSession ends a node's session from outside, as anyone who can reach
// the ensemble and knows the session's id can: the servers derive a
// session's password from its id (serverPassword), and the id is
// its ephemeral znodes' ephemeralOwner. What Curator's and kazoo's test
// kits do to expire a session; nothing to heal.
type EndSession struct {
	Target NodeTarget
	targeted
}

var endSessionKind = faultKind{Name: "end-session", build: func(s FaultSpec) (Fault, error) {
	t, err := nodeTarget(s)
	return &EndSession{Target: t}, err
}}

func (f *EndSession) Spec() FaultSpec {
	return FaultSpec{Kind: endSessionKind.Name, Target: string(f.Target)}
}
func (f *EndSession) Name() string { return "end " + string(f.Target) + "'s session from outside" }
func (f *EndSession) Start(ctx context.Context, on Stage) error {
	c, pid, err := wrapperOf(ctx, on, f.Target)
	if err != nil {
		return err
	}
	f.target = c.Name()
	id, err := sessionOfTree(pid)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return endSessionOn(ctx, strings.Split(on.Ensemble().ConnectString(), ","), id)
}
func (f *EndSession) Heal(context.Context, Stage) error { return nil }

// AimedAtHolder implements HolderLoser.
func (f *EndSession) AimedAtHolder() bool { return f.Target == Holder }

// LosesHolder: a holder whose session ended has lost its lock.
func (f *EndSession) LosesHolder(time.Duration, time.Duration) bool { return f.Target == Holder }

// sessionOfTree reads the session id a wrapper handed its job
// (ZOOLOCKED_SESSION) from the environment of the wrapper's descendants.
func sessionOfTree(wrapper int) (int64, error) {
	for _, pid := range processTree(wrapper) {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			continue // gone
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "ZOOLOCKED_SESSION=0x"); ok {
				return strconv.ParseInt(v, 16, 64)
			}
		}
	}
	return 0, fmt.Errorf("no job of wrapper %d names its session (ZOOLOCKED_SESSION)", wrapper)
}
