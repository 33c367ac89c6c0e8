package lock

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A lock path may be shared with other recipes while a fleet moves onto
// zoo-locked, so a contender is any child whose name one of the common
// recipes would write. All of them end in the parent's sequence counter,
// which the server keeps for the path whoever creates under it, so their
// sequences order them all in one queue.
const seqDigits = 10

// Recipe names who wrote a contender, as status shows it.
const (
	RecipeZooLocked = "zoo-locked"
	RecipeCurator   = "Curator"
	RecipeGoZK      = "go-zookeeper"
	RecipeKazoo     = "kazoo"
	RecipeCLock     = "ZooKeeper C recipe"
	RecipePattern   = "contender pattern"
)

// Contenders recognises the contenders on a lock path: the built-in
// recipes' names, plus Extra markers (--contender-pattern): a child whose
// name ends in a marker followed by a ten-digit sequence counts too, as
// kazoo's extra_lock_patterns do.
type Contenders struct {
	Extra []string
}

// ValidateContenderPattern accepts a marker for Contenders.Extra.
func ValidateContenderPattern(p string) error {
	if p == "" || strings.ContainsAny(p, "/ \t\n") {
		return UsageErrorf("contender pattern %q must be a non-empty name fragment without '/' or blanks, e.g. __rlock__", p)
	}
	return nil
}

// sequence returns a contender's sequence and true, or false for a child
// that is no recipe's contender (it neither blocks nor is watched).
func (c Contenders) sequence(name string) (int64, bool) {
	if len(name) <= seqDigits {
		return 0, false
	}
	head, tail := name[:len(name)-seqDigits], name[len(name)-seqDigits:]
	seq, err := strconv.ParseInt(tail, 10, 64)
	if err != nil || tail[0] == '+' || tail[0] == '-' {
		return 0, false
	}
	if recipeOfName(head) != "" {
		return seq, true
	}
	for _, marker := range c.Extra {
		if strings.HasSuffix(head, marker) {
			return seq, true
		}
	}
	return 0, false
}

// Order returns the contenders among children, in queue order.
func (c Contenders) Order(children []string) []string {
	type entry struct {
		name string
		seq  int64
	}
	var queue []entry
	for _, n := range children {
		if seq, ok := c.sequence(n); ok {
			queue = append(queue, entry{n, seq})
		}
	}
	slices.SortFunc(queue, func(a, b entry) int { return int(a.seq - b.seq) })
	out := make([]string, len(queue))
	for i, e := range queue {
		out[i] = e.name
	}
	return out
}

// recipeOfName tells which built-in recipe writes a contender whose name,
// without its sequence, is head; "" for none. Curator's protected names
// carry a dashed UUID, go-zookeeper's (and ours) 32 hex digits.
func recipeOfName(head string) string {
	switch {
	case strings.HasSuffix(head, "__lock__"):
		return RecipeKazoo
	case strings.HasPrefix(head, "x-") && strings.HasSuffix(head, "-") && isHex(head[2:len(head)-1]):
		return RecipeCLock
	case strings.HasSuffix(head, "-lock-"):
		guid := strings.TrimSuffix(strings.TrimPrefix(head, contenderPrefix), "-lock-")
		if strings.HasPrefix(head, contenderPrefix) && len(guid) == 32 && isHex(guid) {
			return RecipeGoZK
		}
		return RecipeCurator
	case head == "lock-":
		return RecipeCurator
	}
	return ""
}

// Describe names the recipe that wrote contender name, for status: the
// C recipe's names carry the session that holds them.
func (c Contenders) Describe(name string) string {
	if len(name) <= seqDigits {
		return ""
	}
	head := name[:len(name)-seqDigits]
	switch r := recipeOfName(head); r {
	case RecipeCLock:
		return fmt.Sprintf("%s, session 0x%s", r, strings.TrimLeft(head[2:len(head)-1], "0"))
	case "":
		return RecipePattern
	default:
		return r
	}
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
