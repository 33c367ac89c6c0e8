// Package zkclose ends a ZooKeeper session from a connection of its own,
// given the session's id and password: what the keeper does once the
// wrapper that owned the session is dead and so is the job's whole tree,
// so that the lock frees at once instead of at the session timeout. It
// speaks the few frames of ZooKeeper's wire protocol this needs
// (zookeeper.jute: ConnectRequest, AuthPacket, closeSession) with the
// standard library alone, so that the small keeper binary stays small.
//
// Its one invariant: it sends closeSession only on a connection the server
// attached to the very session asked for; any other answer ends the
// attempt, for a wrong guess must never be retried (a connect naming a
// session moves it off its owner's connection before the password is
// checked).
package zkclose

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Session is what ends a session. Password is secret: whoever holds it
// can end the session, and so free its lock.
type Session struct {
	Servers  []string
	ID       int64
	Password []byte
	Timeout  time.Duration
	// Auth is "user:password" for digest authentication, sent before the
	// close (a server with zookeeper.enforce.auth.enabled refuses it
	// otherwise).
	Auth []byte
	// TLS names the PEM files of the wrapper's TLS (empty: plain TCP), for
	// the dial the caller of Close supplies: the close must reach the
	// servers as the wrapper did.
	TLS struct{ CA, Cert, Key string }
}

// Encode is s as one line of printable text, for the keeper's pipe: the
// id, the password, the timeout in ms, the digest credentials, the TLS
// files' paths (CA, cert, key, comma-separated) and the servers,
// space-separated, each text in base64 and "-" for none. A format of its
// own rather than JSON: the keeper starts at every run and links only
// what it uses.
func (s Session) Encode() string {
	tlsFiles := "-"
	if s.TLS.CA != "" {
		tlsFiles = strings.Join([]string{b64(s.TLS.CA), b64(s.TLS.Cert), b64(s.TLS.Key)}, ",")
	}
	return strings.Join([]string{strconv.FormatInt(s.ID, 16), base64.StdEncoding.EncodeToString(s.Password),
		strconv.FormatInt(s.Timeout.Milliseconds(), 10), orDash(base64.StdEncoding.EncodeToString(s.Auth)), tlsFiles,
		strings.Join(s.Servers, ",")}, " ")
}

func b64(text string) string { return base64.StdEncoding.EncodeToString([]byte(text)) }

func orDash(field string) string {
	if field == "" {
		return "-"
	}
	return field
}

// Decode reads what Encode wrote.
func Decode(line string) (Session, error) {
	fields := strings.Split(line, " ")
	if len(fields) != 6 {
		return Session{}, fmt.Errorf("a session line of %d fields, want 6", len(fields))
	}
	var s Session
	var timeoutMs int64
	errs := make([]error, 6)
	s.ID, errs[0] = strconv.ParseInt(fields[0], 16, 64)
	s.Password, errs[1] = base64.StdEncoding.DecodeString(fields[1])
	timeoutMs, errs[2] = strconv.ParseInt(fields[2], 10, 64)
	if fields[3] != "-" {
		s.Auth, errs[3] = base64.StdEncoding.DecodeString(fields[3])
	}
	if fields[4] != "-" {
		files := strings.Split(fields[4], ",")
		if len(files) != 3 {
			errs[4] = fmt.Errorf("TLS files: %d paths, want 3", len(files))
		} else {
			paths := make([][]byte, 3)
			for i, f := range files {
				var err error
				paths[i], err = base64.StdEncoding.DecodeString(f)
				errs[5] = errors.Join(errs[5], err)
			}
			s.TLS.CA, s.TLS.Cert, s.TLS.Key = string(paths[0]), string(paths[1]), string(paths[2])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Session{}, err
	}
	s.Timeout = time.Duration(timeoutMs) * time.Millisecond
	s.Servers = strings.Split(fields[5], ",")
	return s, nil
}

// ErrGone says the server would not attach the session: it has expired or
// been closed already (ZooKeeper answers a wrong password the same way, so
// the answer proves nothing more). Either way nothing is left to close.
var ErrGone = errors.New("the session is gone already")

// Opcodes and xids of zookeeper.jute's RequestHeader.
const (
	opCloseSession = -11
	opAuth         = 100
	xidAuth        = -4
	xidClose       = 1
)

// Close ends the session on the first server that answers. A server that
// refuses the connection or cannot be reached is skipped (a read-only or
// partitioned one); an answer naming another session ends it with ErrGone.
func Close(ctx context.Context, s Session, dial func(ctx context.Context, address string) (net.Conn, error)) error {
	var errs []error
	for _, server := range s.Servers {
		err := closeOn(ctx, s, server, dial)
		if err == nil || errors.Is(err, ErrGone) {
			return err
		}
		errs = append(errs, fmt.Errorf("%s: %w", server, err))
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func closeOn(ctx context.Context, s Session, server string, dial func(ctx context.Context, address string) (net.Conn, error)) error {
	conn, err := dial(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	// ConnectRequest: lastZxidSeen 0, so that a server behind the owner's
	// last zxid does not refuse it; readOnly false.
	var req bytes.Buffer
	put(&req, int32(0), int64(0), int32(s.Timeout.Milliseconds()), s.ID)
	putBuffer(&req, s.Password)
	req.WriteByte(0)
	if err := writeFrame(conn, req.Bytes()); err != nil {
		return err
	}
	reply, err := readFrame(conn)
	if err != nil {
		return err
	}
	id, _, timeout, ok := ParseConnectResponse(reply)
	switch {
	case !ok:
		return fmt.Errorf("unreadable connect response (%d bytes)", len(reply))
	case id != s.ID || timeout == 0:
		return ErrGone
	}
	if len(s.Auth) > 0 {
		var auth bytes.Buffer
		put(&auth, int32(xidAuth), int32(opAuth), int32(0))
		putBuffer(&auth, []byte("digest"))
		putBuffer(&auth, s.Auth)
		if err := writeFrame(conn, auth.Bytes()); err != nil {
			return err
		}
		if err := awaitReply(conn, xidAuth); err != nil {
			return fmt.Errorf("authenticate: %w", err)
		}
	}
	var closeReq bytes.Buffer
	put(&closeReq, int32(xidClose), int32(opCloseSession))
	if err := writeFrame(conn, closeReq.Bytes()); err != nil {
		return err
	}
	return awaitReply(conn, xidClose)
}

// ParseConnectResponse reads zookeeper.jute's ConnectResponse (the frame
// without its length): protocolVersion, timeOut, sessionId, passwd, and on
// newer servers a readOnly flag after them.
func ParseConnectResponse(frame []byte) (id int64, password []byte, timeoutMs int32, ok bool) {
	if len(frame) < 20 {
		return 0, nil, 0, false
	}
	timeoutMs = int32(binary.BigEndian.Uint32(frame[4:8]))
	id = int64(binary.BigEndian.Uint64(frame[8:16]))
	n := int32(binary.BigEndian.Uint32(frame[16:20]))
	if n < 0 || int(n) > len(frame)-20 {
		return 0, nil, 0, false
	}
	return id, bytes.Clone(frame[20 : 20+n]), timeoutMs, true
}

// awaitReply reads frames until the ReplyHeader for xid (skipping any
// notification), and returns its error code as an error.
func awaitReply(conn net.Conn, xid int32) error {
	for {
		frame, err := readFrame(conn)
		if err != nil {
			return err
		}
		if len(frame) < 16 {
			return fmt.Errorf("short reply (%d bytes)", len(frame))
		}
		if int32(binary.BigEndian.Uint32(frame[0:4])) != xid {
			continue
		}
		if code := int32(binary.BigEndian.Uint32(frame[12:16])); code != 0 {
			return fmt.Errorf("zookeeper error %d", code)
		}
		return nil
	}
}

func put(b *bytes.Buffer, values ...any) {
	for _, v := range values {
		_ = binary.Write(b, binary.BigEndian, v) // fixed-size values into a buffer
	}
}

func putBuffer(b *bytes.Buffer, data []byte) {
	put(b, int32(len(data)))
	b.Write(data)
}

func writeFrame(w io.Writer, payload []byte) error {
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(payload)), uint32(len(payload)))
	_, err := w.Write(append(frame, payload...))
	return err
}

// maxFrame bounds what a reply may claim to be, against a stray port.
const maxFrame = 1 << 20

func readFrame(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > maxFrame {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	frame := make([]byte, n)
	_, err := io.ReadFull(r, frame)
	return frame, err
}

// DerivedPassword is the password a ZooKeeper server (3.4 to 3.9) gives
// session id: ZooKeeperServer.generatePasswd, java.util.Random seeded with
// the id XOR 0xB3415C00, 16 bytes. It is what makes a session endable by
// anyone who knows its id (any ephemeral znode's ephemeralOwner); the
// harness uses it to play that outsider.
func DerivedPassword(id int64) []byte {
	const multiplier, addend, mask = 0x5DEECE66D, 0xB, 1<<48 - 1
	seed := (id ^ 0xB3415C00 ^ multiplier) & mask
	next := func() int32 {
		seed = (seed*multiplier + addend) & mask
		return int32(seed >> 16)
	}
	p := make([]byte, 16)
	for i := 0; i < len(p); {
		for rnd, n := next(), min(len(p)-i, 4); n > 0; rnd, n = rnd>>8, n-1 {
			p[i] = byte(rnd)
			i++
		}
	}
	return p
}
