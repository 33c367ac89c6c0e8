package fleet

import (
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
