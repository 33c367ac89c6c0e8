package faults

import (
	"context"
	"errors"
)

// serverHit is what every one-server fault shares: the target, and the
// server it resolved to at Start, which Heal acts on.
type serverHit struct {
	Target ServerTarget
	id     int
	targeted
}

func (h *serverHit) hit(ctx context.Context, on Stage, act func(context.Context, int) error) error {
	id, err := h.Target.resolve(ctx, on.Ensemble())
	if err != nil {
		return err
	}
	h.id, h.target = id, Server(id).String()
	return act(ctx, id)
}

func (h *serverHit) spec(kind string) FaultSpec {
	return FaultSpec{Kind: kind, Target: h.Target.String()}
}

func (h *serverHit) undo(ctx context.Context, act func(context.Context, int) error) error {
	if h.id == 0 {
		return nil
	}
	return act(ctx, h.id)
}

// KillServer SIGKILLs a server; Heal starts it again.
type KillServer struct{ serverHit }

// StopServer stops a server gracefully; Heal starts it again.
type StopServer struct{ serverHit }

// PauseServer freezes a server (it accepts connections and never
// answers); Heal thaws it.
type PauseServer struct{ serverHit }

// RestartServer restarts a server gracefully, at once; Heal does nothing.
type RestartServer struct{ serverHit }

// IsolateServer cuts a server from its peers, its clients still reach it;
// Heal reconnects it.
type IsolateServer struct{ serverHit }

// Kill, Stop, Pause, Restart and Isolate build the one-server faults.
func Kill(t ServerTarget) *KillServer       { return &KillServer{serverHit{Target: t}} }
func Stop(t ServerTarget) *StopServer       { return &StopServer{serverHit{Target: t}} }
func Pause(t ServerTarget) *PauseServer     { return &PauseServer{serverHit{Target: t}} }
func Restart(t ServerTarget) *RestartServer { return &RestartServer{serverHit{Target: t}} }
func Isolate(t ServerTarget) *IsolateServer { return &IsolateServer{serverHit{Target: t}} }

var (
	killServerKind    = faultKind{Name: "kill-server", build: serverFault(func(t ServerTarget) Fault { return Kill(t) })}
	stopServerKind    = faultKind{Name: "stop-server", build: serverFault(func(t ServerTarget) Fault { return Stop(t) })}
	pauseServerKind   = faultKind{Name: "pause-server", build: serverFault(func(t ServerTarget) Fault { return Pause(t) })}
	restartServerKind = faultKind{Name: "restart-server", build: serverFault(func(t ServerTarget) Fault { return Restart(t) })}
	isolateServerKind = faultKind{Name: "isolate-server", build: serverFault(func(t ServerTarget) Fault { return Isolate(t) })}
)

func (f *KillServer) Spec() FaultSpec    { return f.spec(killServerKind.Name) }
func (f *StopServer) Spec() FaultSpec    { return f.spec(stopServerKind.Name) }
func (f *PauseServer) Spec() FaultSpec   { return f.spec(pauseServerKind.Name) }
func (f *RestartServer) Spec() FaultSpec { return f.spec(restartServerKind.Name) }
func (f *IsolateServer) Spec() FaultSpec { return f.spec(isolateServerKind.Name) }

func (f *KillServer) Name() string    { return "kill " + f.Target.String() }
func (f *StopServer) Name() string    { return "stop " + f.Target.String() }
func (f *PauseServer) Name() string   { return "pause " + f.Target.String() }
func (f *RestartServer) Name() string { return "restart " + f.Target.String() }
func (f *IsolateServer) Name() string { return "isolate " + f.Target.String() }

func (f *KillServer) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, on.Ensemble().Kill)
}
func (f *KillServer) Heal(ctx context.Context, on Stage) error {
	return f.undo(ctx, on.Ensemble().Start)
}
func (f *StopServer) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, on.Ensemble().Stop)
}
func (f *StopServer) Heal(ctx context.Context, on Stage) error {
	return f.undo(ctx, on.Ensemble().Start)
}
func (f *PauseServer) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, on.Ensemble().Pause)
}
func (f *PauseServer) Heal(ctx context.Context, on Stage) error {
	return f.undo(ctx, on.Ensemble().Unpause)
}
func (f *RestartServer) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, on.Ensemble().Restart)
}
func (f *RestartServer) Heal(context.Context, Stage) error { return nil }
func (f *IsolateServer) Start(ctx context.Context, on Stage) error {
	return f.hit(ctx, on, on.Ensemble().CutPeers)
}
func (f *IsolateServer) Heal(ctx context.Context, on Stage) error {
	return f.undo(ctx, on.Ensemble().HealPeers)
}

// QuorumLoss stops every server but the first.
type QuorumLoss struct {
	stopped []int
	targeted
}

var quorumLossKind = faultKind{Name: "quorum-loss", build: func(FaultSpec) (Fault, error) { return &QuorumLoss{}, nil }}

func (f *QuorumLoss) Spec() FaultSpec { return FaultSpec{Kind: quorumLossKind.Name} }
func (f *QuorumLoss) Name() string    { return "quorum loss" }
func (f *QuorumLoss) Start(ctx context.Context, on Stage) error {
	ids := on.Ensemble().IDs()
	f.target = "all but " + Server(ids[0]).String()
	for _, id := range ids[1:] {
		if err := on.Ensemble().Stop(ctx, id); err != nil {
			return err
		}
		f.stopped = append(f.stopped, id)
	}
	return nil
}
func (f *QuorumLoss) Heal(ctx context.Context, on Stage) error {
	var errs []error
	for _, id := range f.stopped {
		errs = append(errs, on.Ensemble().Start(ctx, id))
	}
	return errors.Join(errs...)
}
