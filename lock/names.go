package lock

import (
	"fmt"
	"path"
	"strings"
	"unicode"
)

// MaxNameLength bounds a lock name; ZooKeeper paths have no short limit, but
// a name that long is a mistake, not a lock.
const MaxNameLength = 200

// ValidateName accepts a lock name that maps to exactly one znode under the
// root: non-empty, printable, no '/', not '.' or '..', bounded length.
func ValidateName(name string) error {
	switch {
	case name == "":
		return UsageErrorf("empty lock name")
	case len(name) > MaxNameLength:
		return UsageErrorf("lock name longer than %d bytes", MaxNameLength)
	case name == "." || name == "..":
		return UsageErrorf("lock name %q is not allowed", name)
	case strings.Contains(name, "/"):
		return UsageErrorf("lock name %q contains '/'; use a flat name such as %q", name, strings.ReplaceAll(name, "/", "-"))
	case strings.HasPrefix(name, contenderPrefix):
		return UsageErrorf("lock name %q starts with the reserved %q", name, contenderPrefix)
	case strings.Contains(name, "~"):
		return UsageErrorf("lock name %q contains '~', which marks the records kept beside a lock (NAME~)", name)
	}
	for _, r := range name {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return UsageErrorf("lock name %q contains a blank, control or invalid character", name)
		}
	}
	return nil
}

// ValidateRoot checks a root (or chroot) path: absolute, clean, no empty
// or dot components.
func ValidateRoot(root string) error {
	if err := validateRoot(root); err != nil {
		return UsageErrorf("root %q: %v", root, err)
	}
	return nil
}

func validateRoot(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("must start with '/'")
	}
	if p != "/" && (path.Clean(p) != p || strings.Contains(p, "//")) {
		return fmt.Errorf("must be a clean path (no trailing '/', '//', '.' or '..')")
	}
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if p == "/" {
			break
		}
		if err := ValidateName(part); err != nil {
			return fmt.Errorf("component %q: %v", part, err)
		}
	}
	return nil
}
