package faults

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// The harness ends a session from outside with code of its own, not the
// keeper's (internal/zkclose): the proof may not lean on what it proves.
// Two frames of zookeeper.jute: a ConnectRequest naming the session with
// the password a server derives from its id, then closeSession.

// endSessionOn ends session id on the first of servers that attaches it.
func endSessionOn(ctx context.Context, servers []string, id int64) error {
	var errs []error
	for _, server := range servers {
		err := endSessionAt(ctx, server, id)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", server, err))
	}
	return errors.Join(errs...)
}

func endSessionAt(ctx context.Context, server string, id int64) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", server)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	password := serverPassword(id)
	// protocolVersion, lastZxidSeen 0, timeOut, sessionId, passwd, readOnly.
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 4000)
	req = binary.BigEndian.AppendUint64(req, uint64(id))
	req = binary.BigEndian.AppendUint32(req, uint32(len(password)))
	req = append(append(req, password...), 0)
	if err := writeJuteFrame(conn, req); err != nil {
		return err
	}
	reply, err := readJuteFrame(conn)
	if err != nil {
		return err
	}
	if len(reply) < 16 || int64(binary.BigEndian.Uint64(reply[8:16])) != id {
		return errors.New("the server would not attach the session (expired, or closed already)")
	}
	// RequestHeader: xid 1, type closeSession (-11).
	closeReq := binary.BigEndian.AppendUint32(nil, 1)
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xFFFFFFF5))
	if err := writeJuteFrame(conn, closeReq); err != nil {
		return err
	}
	_, err = readJuteFrame(conn)
	return err
}

// serverPassword is what ZooKeeper's servers (3.4 to 3.9) give session
// id: ZooKeeperServer.generatePasswd, java.util.Random seeded with the id
// XOR 0xB3415C00, 16 bytes.
func serverPassword(id int64) []byte {
	const multiplier, addend, mask = 0x5DEECE66D, 0xB, 1<<48 - 1
	seed := (id ^ 0xB3415C00 ^ multiplier) & mask
	p := make([]byte, 16)
	for i := 0; i < len(p); {
		seed = (seed*multiplier + addend) & mask
		rnd := int32(seed >> 16)
		for n := min(len(p)-i, 4); n > 0; n-- {
			p[i], rnd = byte(rnd), rnd>>8
			i++
		}
	}
	return p
}

func writeJuteFrame(w io.Writer, payload []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...))
	return err
}

func readJuteFrame(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	frame := make([]byte, n)
	_, err := io.ReadFull(r, frame)
	return frame, err
}
