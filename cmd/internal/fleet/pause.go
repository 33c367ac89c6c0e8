package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"

	"github.com/go-zookeeper/zk"
)

// A pause is a znode among the lock's records, NAME~/paused: while it is
// in effect every firing, on every node, takes the lock, finds it and
// skips. It is read under the lock, so a firing granted after the pause
// was written never runs; its span is judged from the znode's mtime, the
// ensemble's clock, as slots are.
func pausePath(lockPath string) string { return recordsPath(lockPath) + "/paused" }

// Pause is who paused a lock, when, why and for how long.
type Pause struct {
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
	// For is how long the pause lasts; 0 until it is resumed.
	For time.Duration `json:"for_ns,omitempty"`
	// Since is when it was written, on the ensemble's clock (read from
	// the znode, not stored); Until is Since+For, nil without For.
	Since time.Time  `json:"since"`
	Until *time.Time `json:"until,omitempty"`
}

// InEffect says whether the pause still holds at now (ensemble time).
func (p *Pause) InEffect(now time.Time) bool {
	return p != nil && (p.Until == nil || now.Before(*p.Until))
}

// EndsAt says when the pause ends: its Until, or "resumed" for one that
// lasts until resumed.
func (p *Pause) EndsAt() string {
	if p.Until == nil {
		return "resumed"
	}
	return p.Until.Format(time.RFC3339)
}

// ErrUnknownLock: the lock path does not exist; it wraps lock.ErrUsage, a name
// mistyped at an operator's command.
var ErrUnknownLock = lock.UsageErrorf("no such lock")

// ErrNotPermitted: the lock's ACL refuses this identity: under
// --auth-file, only the identity that made a lock may pause or stop it.
var ErrNotPermitted = errors.New("not permitted")

// PauseLock pauses lock name under root, or replaces its pause. The
// lock must exist (ErrUnknownLock): a pause of a mistyped name would
// pause nothing and say it had.
func PauseLock(s *lock.Session, root, name string, p Pause) error {
	parent, err := knownLock(s, root, name)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(Pause{By: p.By, Reason: p.Reason, For: p.For}) // plain fields
	return recordsWrite(s, parent, pausePath(parent), data)
}

// ResumeLock ends lock name's pause and returns it, nil when there was
// none.
func ResumeLock(s *lock.Session, root, name string) (*Pause, error) {
	parent, err := knownLock(s, root, name)
	if err != nil {
		return nil, err
	}
	p, err := readPause(s.Conn(), parent)
	if err != nil || p == nil {
		return p, err
	}
	err = s.Conn().Delete(pausePath(parent), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil // resumed meanwhile by someone else
	}
	return p, permitted(err, name)
}

// readPause reads the lock's pause, nil when there is none. A pause that
// is not ours to read is no pause: it must not stop a fleet's jobs.
func readPause(conn *zk.Conn, parent string) (*Pause, error) {
	data, stat, err := conn.Get(pausePath(parent))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the pause of %s: %w", path.Base(parent), err)
	}
	var p Pause
	if json.Unmarshal(data, &p) != nil {
		return nil, nil
	}
	p.Since = time.UnixMilli(stat.Mtime).UTC()
	if p.For > 0 {
		until := p.Since.Add(p.For)
		p.Until = &until
	}
	return &p, nil
}

// pauseOf reads the pause a granted firing must obey.
func (h *held) pauseOf() (*Pause, error) { return readThrough(h, "read the pause", readPause) }

// knownLock returns the lock's path, or ErrUnknownLock.
func knownLock(s *lock.Session, root, name string) (string, error) {
	if err := lock.ValidateName(name); err != nil {
		return "", err
	}
	parent := path.Join(root, name)
	ok, _, err := s.Conn().Exists(parent)
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", parent, err)
	}
	if !ok {
		return "", fmt.Errorf("%w %q under %s (zoo-locked list shows them)", ErrUnknownLock, name, root)
	}
	return parent, nil
}

// recordsWrite creates or replaces one of the lock's records. Where the
// records' znode does not exist yet, it is made in the same transaction as
// a write of the lock path itself, so that only an identity the lock's ACL
// lets write may make it: otherwise a stranger could create NAME~ with ACLs
// of its own.
func recordsWrite(s *lock.Session, parent, recPath string, data []byte) error {
	parentACL, nodeACL := s.ACLs()
	conn := s.Conn()
	_, err := conn.Set(recPath, data, -1)
	if !errors.Is(err, zk.ErrNoNode) {
		return permitted(err, path.Base(parent))
	}
	_, err = conn.Create(recPath, data, 0, nodeACL)
	if !errors.Is(err, zk.ErrNoNode) {
		if errors.Is(err, zk.ErrNodeExists) {
			_, err = conn.Set(recPath, data, -1)
		}
		return permitted(err, path.Base(parent))
	}
	lockData, stat, err := conn.Get(parent)
	if err != nil {
		return fmt.Errorf("read %s: %w", parent, err)
	}
	_, err = conn.Multi(
		&zk.SetDataRequest{Path: parent, Data: lockData, Version: stat.Version},
		&zk.CreateRequest{Path: recordsPath(parent), Acl: parentACL},
		&zk.CreateRequest{Path: recPath, Data: data, Acl: nodeACL},
	)
	if errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrBadVersion) {
		return recordsWrite(s, parent, recPath, data) // made meanwhile: write again
	}
	return permitted(err, path.Base(parent))
}

// permitted names an ACL refusal for what it is.
func permitted(err error, name string) error {
	if errors.Is(err, zk.ErrNoAuth) {
		return fmt.Errorf("%w: the ACL of lock %s refuses this identity; pass the --auth-file of the identity that made it", ErrNotPermitted, name)
	}
	return err
}
