package ensemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zoo-locked/zoo-locked/internal/zkserver"
)

// processBackend runs each server as a local JVM on loopback: the fallback
// where no container engine answers.
type processBackend struct {
	dir  string
	mu   sync.Mutex
	cmds map[int]*exec.Cmd
	done map[int]chan struct{}
}

func newProcessBackend() (*processBackend, error) {
	if err := zkserver.Available(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "zoo-locked-ensemble-")
	if err != nil {
		return nil, err
	}
	return &processBackend{dir: dir, cmds: map[int]*exec.Cmd{}, done: map[int]chan struct{}{}}, nil
}

func (b *processBackend) Name() string { return "process" }

// PeerCuttable: a server answers an election connection from a lower id by
// connecting back to the address that peer advertises (QuorumCnxManager
// connectOne with the peer's own election address). On loopback that is the
// peer's real port, around our proxies, so a cut would leak.
func (b *processBackend) PeerCuttable() error {
	return errors.New("cutting a server from its peers needs the container backend: on loopback ZooKeeper's election connects back around the proxies")
}
func (b *processBackend) PeerHost() string { return "127.0.0.1" }

func (b *processBackend) serverDir(id int) string {
	return filepath.Join(b.dir, fmt.Sprintf("zk%d", id))
}

func (b *processBackend) Start(ctx context.Context, spec serverSpec) error {
	dir := b.serverDir(spec.ID)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	cfg := []string{
		"dataDir=" + data,
		fmt.Sprintf("tickTime=%d", spec.TickTime.Milliseconds()),
		"initLimit=10", "syncLimit=5",
		"admin.enableServer=false",
		"4lw.commands.whitelist=*",
		fmt.Sprintf("server.%d=127.0.0.1:%d:%d;127.0.0.1:%d", spec.ID, spec.QuorumPort, spec.ElectionPort, spec.ClientPort),
	}
	for id, addr := range spec.Peers {
		cfg = append(cfg, fmt.Sprintf("server.%d=%s", id, addr))
	}
	cfg = append(cfg, spec.cfgExtra()...)
	if spec.TLS != nil {
		cfg = append(cfg,
			fmt.Sprintf("secureClientPort=%d", spec.SecurePort),
			"secureClientPortAddress=127.0.0.1",
			"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
			"ssl.keyStore.location="+spec.TLS.KeyStore, "ssl.keyStore.type=PEM",
			"ssl.trustStore.location="+spec.TLS.TrustStore, "ssl.trustStore.type=PEM",
			"ssl.clientAuth=none")
	}
	files := map[string]string{
		"zoo.cfg":          strings.Join(cfg, "\n") + "\n",
		"data/myid":        fmt.Sprintf("%d\n", spec.ID),
		"log4j.properties": zkserver.Log4jProperties,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	// Its own process group, so that a Ctrl-C on the test does not reach
	// the servers before Close has stopped them in order.
	cmd := zkserver.Command(dir)
	if spec.MovableClock {
		env, err := b.movableClockEnv(spec.ID)
		if err != nil {
			return err
		}
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start zk%d: %w", spec.ID, err)
	}
	done := make(chan struct{})
	go func() {
		// The exit status of a server we stopped or killed is expected.
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
	b.mu.Lock()
	b.cmds[spec.ID], b.done[spec.ID] = cmd, done
	b.mu.Unlock()
	return nil
}

func (b *processBackend) running(id int) (*exec.Cmd, chan struct{}, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cmd, ok := b.cmds[id]
	if !ok {
		return nil, nil, fmt.Errorf("zk%d is not running", id)
	}
	return cmd, b.done[id], nil
}

func (b *processBackend) signal(id int, sig syscall.Signal) error {
	cmd, _, err := b.running(id)
	if err != nil {
		return err
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

func (b *processBackend) Stop(ctx context.Context, id int) error {
	return b.end(ctx, id, syscall.SIGTERM, 10*time.Second)
}

func (b *processBackend) Kill(ctx context.Context, id int) error {
	return b.end(ctx, id, syscall.SIGKILL, 0)
}

func (b *processBackend) end(ctx context.Context, id int, sig syscall.Signal, grace time.Duration) error {
	cmd, done, err := b.running(id)
	if err != nil {
		return err
	}
	// A paused JVM cannot act on SIGTERM.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT) // best effort: it may have exited
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH only: it just exited
		<-done
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	delete(b.cmds, id)
	delete(b.done, id)
	b.mu.Unlock()
	return nil
}

func (b *processBackend) Pause(_ context.Context, id int) error { return b.signal(id, syscall.SIGSTOP) }
func (b *processBackend) Unpause(_ context.Context, id int) error {
	return b.signal(id, syscall.SIGCONT)
}

func (b *processBackend) Logs(_ context.Context, id int, w io.Writer) error {
	f, err := os.Open(filepath.Join(b.serverDir(id), "server.log"))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func (b *processBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	ids := make([]int, 0, len(b.cmds))
	for id := range b.cmds {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, b.Kill(ctx, id))
	}
	errs = append(errs, os.RemoveAll(b.dir))
	return errors.Join(errs...)
}
