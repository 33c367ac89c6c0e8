package chaos

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

// ForeignLock is one firing of a foreign recipe's wrapper.
type ForeignLock struct {
	Recipe  string
	Servers []string
	Path    string // the lock path, shared with zoo-locked
	Command []string
	// Try makes a waiting recipe (Curator) try once, as acquire with a
	// zero timeout does: busy, it exits 75 without running the command.
	Try bool
}

// Run takes the lock, runs the command, releases, and returns the exit
// status as the tool would: the job's, or 0 after "LOCKED by <znode>" when
// the C recipe finds the lock held. A child it cannot order (no '-' in its
// name) ends it as the C tool's crash does: 139.
func (f ForeignLock) Run() int {
	conn, events, err := zk.Connect(f.Servers, 3*time.Second, zk.WithLogger(ensemble.Quiet{}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "foreign %s: %v\n", f.Recipe, err)
		return 69
	}
	defer conn.Close()
	if err := ensemble.AwaitSession(events, 5*time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "foreign %s: %v\n", f.Recipe, err)
		return 69
	}
	if err := ensurePath(conn, f.Path); err != nil {
		fmt.Fprintf(os.Stderr, "foreign %s: %v\n", f.Recipe, err)
		return 70
	}
	prefix, order := f.naming(conn)
	node, err := conn.Create(path.Join(f.Path, prefix), nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		fmt.Fprintf(os.Stderr, "foreign %s: create: %v\n", f.Recipe, err)
		return 70
	}
	ours := path.Base(node)
	for {
		children, _, err := conn.Children(f.Path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "foreign %s: list: %v\n", f.Recipe, err)
			return 70
		}
		queue, ok := order(children)
		if !ok {
			fmt.Fprintf(os.Stderr, "foreign %s: a child of %s has no '-': the C recipe's comparison dereferences NULL\n", f.Recipe, f.Path)
			return 128 + int(syscall.SIGSEGV)
		}
		i := slices.Index(queue, ours)
		if i < 0 {
			fmt.Fprintf(os.Stderr, "foreign %s: our contender %s vanished\n", f.Recipe, ours)
			return 70
		}
		if i == 0 {
			break
		}
		if f.Recipe == checker.RecipeC {
			fmt.Printf("LOCKED by %s\n", queue[0])
			_ = conn.Delete(node, -1)
			return 0
		}
		if f.Try {
			_ = conn.Delete(node, -1)
			return exitcode.Busy
		}
		exists, _, events, err := conn.ExistsW(path.Join(f.Path, queue[i-1]))
		if err != nil {
			fmt.Fprintf(os.Stderr, "foreign %s: watch: %v\n", f.Recipe, err)
			return 70
		}
		if exists {
			<-events
		}
	}
	// The tools these recipes stand for hand their job no token; the
	// witness job needs one to be judged (S2), and the contender's czxid
	// is the token any recipe's holder could read.
	_, stat, err := conn.Exists(node)
	if err != nil || stat == nil {
		fmt.Fprintf(os.Stderr, "foreign %s: read our contender: %v\n", f.Recipe, err)
		return 70
	}
	status := runForeignJob(f.Command, stat.Czxid)
	_ = conn.Delete(node, -1)
	return status
}

// naming is the recipe's contender prefix and its ordering of the lock
// path's children; ok is false when the recipe cannot order them.
func (f ForeignLock) naming(conn *zk.Conn) (string, func([]string) ([]string, bool)) {
	if f.Recipe == checker.RecipeC {
		prefix := fmt.Sprintf("x-%016x-", conn.SessionID())
		return prefix, func(children []string) ([]string, bool) {
			for _, c := range children {
				if !strings.Contains(c, "-") {
					return nil, false
				}
			}
			after := func(s string) string { return s[strings.LastIndexByte(s, '-')+1:] }
			slices.SortFunc(children, func(a, b string) int { return strings.Compare(after(a), after(b)) })
			return children, true
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return "_c_" + uuid + "-lock-", func(children []string) ([]string, bool) {
		key := func(s string) string {
			if i := strings.LastIndex(s, "lock-"); i >= 0 {
				return s[i+len("lock-"):]
			}
			return s
		}
		slices.SortFunc(children, func(a, b string) int { return strings.Compare(key(a), key(b)) })
		return children, true
	}
}

func runForeignJob(argv []string, token int64) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), fmt.Sprintf("ZOOLOCKED_TOKEN=%d", token))
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintf(os.Stderr, "foreign: %v\n", err)
			return 127
		}
	}
	return exitcode.Of(cmd.ProcessState)
}

func ensurePath(conn *zk.Conn, p string) error {
	cur := ""
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		cur += "/" + part
		if _, err := conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}
