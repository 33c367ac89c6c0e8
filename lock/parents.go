package lock

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/go-zookeeper/zk"
)

// createWithParents makes the lock's parent — and the root above it when
// that is missing too — and our contender in one transaction: a lock's
// first run then costs one write more than the next, where creating each
// in turn costs two (a failed write is a write). The lock path is
// persistent: its records live beside it, not under it, so only it being
// persistent spares the next run the parent's create. The root above is a
// container; go-zookeeper cannot read the answer to a container create
// inside a multi: the server applies it and the client reports ErrAPIError,
// so the caller then looks for its guid, as after a lost reply
// (TestFirstRunCostsOneWriteMore runs this against a real server).
func (m *Mutex) createWithParents(name string) (string, error) {
	var err error
	rootFlags := int32(zk.FlagContainer)
	for _, withRoot := range []bool{false, true, true} {
		var ops []any
		if withRoot {
			for _, p := range m.rootPaths() {
				ops = append(ops, &zk.CreateRequest{Path: p, Acl: m.acl.root, Flags: rootFlags})
			}
		}
		ops = append(ops,
			&zk.CreateRequest{Path: m.parent, Acl: m.acl.parent},
			&zk.CreateRequest{Path: name, Data: m.cfg.Data, Acl: m.acl.node, Flags: zk.FlagEphemeral | zk.FlagSequence})
		var res []zk.MultiResponse
		res, err = m.s.Conn().Multi(ops...)
		m.log.Debug("create contender with its parents", "lock", path.Base(m.parent), "with_root", withRoot, "err", err)
		if err == nil && len(res) == len(ops) {
			return res[len(res)-1].String, nil
		}
		if err == nil {
			err = zk.ErrAPIError // an answer we cannot read: the caller looks
		}
		if withRoot && rootFlags != 0 && noContainers(err) {
			// ZooKeeper 3.4 knows no container znodes: the root is made
			// persistent, as the replaced tool made it.
			m.log.Info("the server knows no container znodes (ZooKeeper before 3.5); the root is made persistent", "root", path.Dir(m.parent))
			rootFlags = 0
			continue
		}
		if !errors.Is(err, zk.ErrNoNode) || (withRoot && rootFlags == 0) {
			break
		}
	}
	return "", err
}

// noContainers says a create failed because the server does not know
// container znodes: 3.4 answers "bad arguments" to the flag, a multi
// carrying one may also come back unimplemented.
func noContainers(err error) bool {
	return errors.Is(err, zk.ErrBadArguments) || unimplemented(err)
}

// rootPaths are the root and each znode above it, top first: what a
// lock's parent needs above it.
func (m *Mutex) rootPaths() []string {
	var paths []string
	p := ""
	if path.Dir(m.parent) == "/" {
		return nil
	}
	for _, part := range strings.Split(strings.Trim(path.Dir(m.parent), "/"), "/") {
		p += "/" + part
		paths = append(paths, p)
	}
	return paths
}

// ensureParent creates the lock's path, persistent, and the root above it
// when that is missing too, as container znodes. The lock path is tried
// first: the root usually exists, and every failed create is a quorum
// write.
func (m *Mutex) ensureParent() error {
	err := m.createPersistent(m.parent, m.acl.parent)
	if !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	for _, p := range m.rootPaths() {
		if err := m.createContainer(p, m.acl.root); err != nil {
			return err
		}
	}
	return m.createPersistent(m.parent, m.acl.parent)
}

func (m *Mutex) createPersistent(p string, acl []zk.ACL) error {
	_, err := m.s.Conn().Create(p, nil, 0, acl)
	return createdOrExists(p, err)
}

func (m *Mutex) createContainer(p string, acl []zk.ACL) error {
	_, err := m.s.Conn().CreateContainer(p, nil, zk.FlagContainer, acl)
	if noContainers(err) {
		// As in createWithParents: 3.4 gets a persistent root.
		return m.createPersistent(p, acl)
	}
	return createdOrExists(p, err)
}

// createdOrExists reads the answer to a parent's create: one that exists
// is as good as made; a missing parent above is the caller's to make.
func createdOrExists(p string, err error) error {
	switch {
	case err == nil, errors.Is(err, zk.ErrNodeExists):
		return nil
	case unimplemented(err):
		return fmt.Errorf("%w: create %s: %v", ErrOldServer, p, err)
	case errors.Is(err, zk.ErrNoNode):
		return err
	}
	return fmt.Errorf("create %s: %w", p, err)
}

// unimplemented says the server does not know the request: what a server
// older than 3.5.3 answers to a container create (UNIMPLEMENTED, -6).
// go-zookeeper has no sentinel for that code and reports it as "unknown
// error: -6"; TestUnimplementedIsAnOldServer pins the form.
func unimplemented(err error) bool {
	return err != nil && (strings.HasSuffix(err.Error(), "unknown error: -6") || errors.Is(err, zk.ErrUnknown))
}
