package ensemble

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Mode is a server's role as it reports it through the srvr four-letter word.
type Mode string

// The modes a ZooKeeper server reports; ModeDown means it did not answer or
// does not serve requests (no quorum, still electing).
const (
	ModeLeader     Mode = "leader"
	ModeFollower   Mode = "follower"
	ModeStandalone Mode = "standalone"
	ModeDown       Mode = "down"
)

// FourLetterWord sends a four-letter command (srvr, mntr, ruok, ...) to a
// server's client address and returns its whole answer.
func FourLetterWord(ctx context.Context, addr, word string) (string, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return "", err
	}
	if _, err := io.WriteString(conn, word); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return "", fmt.Errorf("%s to %s: %w", word, addr, err)
	}
	return string(out), nil
}

// ServerMode asks a server for its role. A server that does not answer, or
// answers that it is not serving, is ModeDown.
func ServerMode(ctx context.Context, addr string) Mode {
	out, err := FourLetterWord(ctx, addr, "srvr")
	if err != nil {
		return ModeDown
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if mode, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return Mode(strings.TrimSpace(mode))
		}
	}
	return ModeDown
}

// ServerVersion asks a server which ZooKeeper it runs ("3.9.3", say).
func ServerVersion(ctx context.Context, addr string) (string, error) {
	out, err := FourLetterWord(ctx, addr, "srvr")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, "-")
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("srvr from %s names no version: %q", addr, out)
}
