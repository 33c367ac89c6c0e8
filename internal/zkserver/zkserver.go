// Package zkserver runs Debian's ZooKeeper as a local JVM: the pieces
// every local server needs (jars, JVM flags, the log setup), and one
// standalone server for tests that need a real server and nothing of the
// harness (the lock library's own). Its one invariant: a server it starts
// serves before Standalone returns, and is gone after Close.
package zkserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Jars is Debian's zookeeper package: the server and the log binding its
// manifest leaves out (without it the server logs nothing).
var Jars = []string{
	"/usr/share/java/zookeeper.jar",
	"/usr/share/java/slf4j-log4j12.jar",
	"/usr/share/java/log4j-1.2.jar",
	// The Netty connection factory (TLS) needs these beyond the manifest's.
	"/usr/share/java/netty-codec.jar",
	"/usr/share/java/netty-resolver.jar",
}

// JVMFlags keep a test server small and fast to start, and make the
// server reap empty container znodes (lock parents) within a second instead
// of a minute, so tests can see it happen.
var JVMFlags = []string{"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dznode.container.checkIntervalMs=1000"}

// Log4jProperties log to the console, which the caller sends to a file.
const Log4jProperties = "log4j.rootLogger=INFO, C\nlog4j.appender.C=org.apache.log4j.ConsoleAppender\nlog4j.appender.C.layout=org.apache.log4j.PatternLayout\nlog4j.appender.C.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n\n"

// Available says why a local server cannot run, or nil.
func Available() error {
	if _, err := exec.LookPath("java"); err != nil {
		return errors.New("java not found (apt-get install default-jre-headless)")
	}
	for _, jar := range Jars {
		if _, err := os.Stat(jar); err != nil {
			return fmt.Errorf("%s missing (apt-get install zookeeper)", jar)
		}
	}
	return nil
}

// Command is the JVM that runs a server from dir, which holds zoo.cfg and
// log4j.properties.
func Command(dir string) *exec.Cmd {
	args := append(append([]string{}, JVMFlags...),
		"-Dlog4j.configuration=file:"+filepath.Join(dir, "log4j.properties"),
		"-cp", dir+":"+strings.Join(Jars, ":"),
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(dir, "zoo.cfg"))
	cmd := exec.Command("java", args...)
	// Pdeathsig: a killed test leaves no JVM behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Server is one standalone server on loopback.
type Server struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// Standalone starts a standalone server under dir (tickTime 200 ms, so
// sessions of 0.4–4 s) and returns once it serves.
func Standalone(ctx context.Context, dir string) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n",
		filepath.Join(dir, "data"), port)
	for name, content := range map[string]string{"zoo.cfg": cfg, "log4j.properties": Log4jProperties} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	s := &Server{addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: Command(dir), done: make(chan struct{}), log: logFile.Name()}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitServing(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w (its log: %s)", err, s.log)
	}
	return s, nil
}

// Addr is the server's client address.
func (s *Server) Addr() string { return s.addr }

// Close kills the server and waits for it to exit.
func (s *Server) Close() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *Server) waitServing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		if mode, err := s.mode(); err == nil && mode == "standalone" {
			return nil
		}
		select {
		case <-s.done:
			return errors.New("the server exited before it served")
		case <-ctx.Done():
			return fmt.Errorf("the server did not serve: %w", ctx.Err())
		case <-poll.C:
		}
	}
}

// mode asks the server for its role with the srvr command.
func (s *Server) mode() (string, error) {
	conn, err := net.DialTimeout("tcp", s.addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return "", err
	}
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		if mode, ok := strings.CutPrefix(lines.Text(), "Mode: "); ok {
			return mode, nil
		}
	}
	return "", errors.New("no mode in the answer")
}

// freePort is a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
