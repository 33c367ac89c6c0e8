package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// ControlSocket is the unix socket, inside the run directory that
// `zoo-chaos up` announces, through which `zoo-chaos fault` and `heal`
// act on its ensemble: a file only its user can reach, not a network port.
const ControlSocket = "control.sock"

// ControlRequest is one line a client sends.
type ControlRequest struct {
	Op    string    `json:"op"` // "fault" or "heal"
	Fault FaultSpec `json:"spec,omitempty"`
	For   Duration  `json:"for,omitempty"` // 0: until heal
}

// ControlReply is the line the server answers.
type ControlReply struct {
	OK     bool   `json:"ok"`
	Hit    string `json:"hit,omitempty"`
	Healed int    `json:"healed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// handStage is the stage of an ensemble with client nodes and no
// workload: faults by hand name their node.
type handStage struct {
	ensemble *ensemble.Ensemble
	nodes    []*ensemble.Node
}

type handClient struct{ n *ensemble.Node }

func (c handClient) Name() string          { return c.n.Name() }
func (c handClient) Links() *ensemble.Node { return c.n }
func (c handClient) WrapperPid() int       { return 0 }

func (s *handStage) Ensemble() *ensemble.Ensemble { return s.ensemble }

func (s *handStage) Clients() []Client {
	out := make([]Client, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = handClient{n}
	}
	return out
}

func (s *handStage) Client(_ context.Context, target NodeTarget) (Client, error) {
	for _, n := range s.nodes {
		if n.Name() == string(target) {
			return handClient{n}, nil
		}
	}
	if target == Holder || target == Waiter {
		return nil, fmt.Errorf("no workload here to say who is the %s: name a node (node1, …)", target)
	}
	return nil, fmt.Errorf("no node %q", target)
}

// Controller serves faults by hand on an ensemble.
type Controller struct {
	stage  *handStage
	report func(string)
	mu     sync.Mutex
	active []Fault
}

// ServeControl listens on dir/control.sock until ctx ends, injecting and
// healing faults on e's nodes as clients ask; report is told of each fault
// as it lands and heals.
func ServeControl(ctx context.Context, dir string, e *ensemble.Ensemble, nodes []*ensemble.Node, report func(string)) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, ControlSocket)
	_ = os.Remove(path) // a socket a killed `up` left behind
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	c := &Controller{stage: &handStage{ensemble: e, nodes: nodes}, report: report}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(ctx, conn)
		}
	}()
	return nil
}

func (c *Controller) serve(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return
	}
	var req ControlRequest
	var reply ControlReply
	switch err := json.Unmarshal(line, &req); {
	case err != nil:
		reply.Error = "bad request: " + err.Error()
	case req.Op == "heal":
		reply.Healed, err = c.healAll(ctx)
		reply.OK, reply.Error = err == nil, errString(err)
	case req.Op == "fault":
		reply.Hit, err = c.inject(ctx, req)
		reply.OK, reply.Error = err == nil, errString(err)
	default:
		reply.Error = fmt.Sprintf("unknown op %q", req.Op)
	}
	b, _ := json.Marshal(reply) // plain fields only
	conn.Write(append(b, '\n'))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Controller) inject(ctx context.Context, req ControlRequest) (string, error) {
	f, err := NewFault(req.Fault)
	if err != nil {
		return "", err
	}
	if err := f.Start(ctx, c.stage); err != nil {
		return "", err
	}
	hit := ""
	if t, ok := f.(Landed); ok {
		hit = t.LandedOn()
	}
	c.report(fmt.Sprintf("fault: %s (on %s)", f.Name(), hit))
	if req.For > 0 {
		go func() {
			select {
			case <-time.After(time.Duration(req.For)):
			case <-ctx.Done():
			}
			c.heal(context.WithoutCancel(ctx), f)
		}()
	}
	c.mu.Lock()
	c.active = append(c.active, f)
	c.mu.Unlock()
	return hit, nil
}

// heal heals f if it is still active.
func (c *Controller) heal(ctx context.Context, f Fault) error {
	c.mu.Lock()
	found := false
	for i, a := range c.active {
		if a == f {
			c.active = append(c.active[:i], c.active[i+1:]...)
			found = true
			break
		}
	}
	c.mu.Unlock()
	if !found {
		return nil
	}
	err := f.Heal(ctx, c.stage)
	if err != nil {
		c.report(fmt.Sprintf("heal failed: %s: %v", f.Name(), err))
	} else {
		c.report("healed: " + f.Name())
	}
	return err
}

func (c *Controller) healAll(ctx context.Context) (int, error) {
	c.mu.Lock()
	active := append([]Fault(nil), c.active...)
	c.mu.Unlock()
	var errs []error
	for _, f := range active {
		errs = append(errs, c.heal(ctx, f))
	}
	return len(active), errors.Join(errs...)
}

// SendControl sends one request to the `up` whose run directory is dir.
func SendControl(dir string, req ControlRequest) (ControlReply, error) {
	var reply ControlReply
	conn, err := net.DialTimeout("unix", filepath.Join(dir, ControlSocket), 5*time.Second)
	if err != nil {
		return reply, fmt.Errorf("no zoo-chaos up answers in %s (start one, or pass its --dir): %w", dir, err)
	}
	defer conn.Close()
	b, _ := json.Marshal(req) // plain fields only
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return reply, err
	}
	// A fault waiting for its target or stopping servers takes a while.
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return reply, fmt.Errorf("no answer from zoo-chaos up: %w", err)
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		return reply, err
	}
	if !reply.OK {
		return reply, errors.New(reply.Error)
	}
	return reply, nil
}

// DefaultRunDir is where `zoo-chaos up` keeps its control socket unless
// told otherwise: the user's runtime directory.
func DefaultRunDir() string {
	if d := os.Getenv("ZOOCHAOS_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "zoo-chaos")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("zoo-chaos-%d", os.Getuid()))
}
