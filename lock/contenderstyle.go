package lock

// ContenderStyle is how our contender znodes are named, for the other
// recipes on a shared lock path to count them.
type ContenderStyle string

const (
	// StyleZooLocked, the default, is Curator's protected form
	// ("_c_<guid>-lock-<seq>"), which Curator and go-zookeeper count.
	StyleZooLocked ContenderStyle = "zoo-locked"
	// StyleKazoo ("_c_<guid>__lock__<seq>") is what kazoo's default Lock
	// counts, with no extra_lock_patterns on its side. Curator sorts such
	// names wrongly, so a path shared with Curator must not use it.
	StyleKazoo ContenderStyle = "kazoo"
)

// ParseContenderStyle reads a --contender-style value.
func ParseContenderStyle(s string) (ContenderStyle, error) {
	switch st := ContenderStyle(s); st {
	case StyleZooLocked, StyleKazoo:
		return st, nil
	case "":
		return StyleZooLocked, nil
	}
	return "", UsageErrorf("contender style %q: use %s (the default) or %s (on a path shared with kazoo's default Lock)", s, StyleZooLocked, StyleKazoo)
}

// namePrefix is our contender's name up to the sequence the server adds.
func (m *Mutex) namePrefix() string {
	if m.cfg.Style == StyleKazoo {
		return contenderPrefix + m.guid + "__lock__"
	}
	return contenderPrefix + m.guid + "-lock-"
}
