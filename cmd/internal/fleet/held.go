package fleet

import (
	"context"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/lock"
)

// held is the lock a run holds, with what the lock's records beside it
// need: the session to write them on, the lock's path and its ACLs.
type held struct {
	s                  *lock.Session
	m                  *lock.Mutex
	parent             string
	parentACL, nodeACL []zk.ACL
}

func hold(s *lock.Session, m *lock.Mutex) *held {
	parentACL, nodeACL := s.ACLs()
	return &held{s: s, m: m, parent: m.Path(), parentACL: parentACL, nodeACL: nodeACL}
}

// readThrough makes one read of the lock's records through dropped
// connections (Session.Retry); what names the request.
func readThrough[T any](h *held, what string, read func(*zk.Conn, string) (T, error)) (v T, err error) {
	err = h.s.Retry(context.Background(), what, func() (err error) {
		v, err = read(h.s.Conn(), h.parent)
		return err
	})
	return v, err
}
