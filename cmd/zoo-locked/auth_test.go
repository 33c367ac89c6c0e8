package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestAuthenticatedLockCannotBeDeletedOrSquatted: with --auth-file the
// lock's znodes are the tenant's own; others can read them, not delete a
// holder's znode nor queue under the lock.
func TestAuthenticatedLockCannotBeDeletedOrSquatted(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "auth")
	theirs := filepath.Join(dir, "other-auth")
	if err := os.WriteFile(mine, []byte("billing:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("intruder:guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	holder := startWrapper(t, "auth", nil, "--auth-file", mine, "--log-level", "debug", "authed", "--", "sleep", "30")
	c := zkClient(t)
	var names []string
	eventually(t, 10*time.Second, "authenticated holder", func() bool { names = contenders(t, c, "authed"); return len(names) == 1 })
	if err := c.Delete("/zoo-locked/authed/"+names[0], -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated delete of the holder's znode: %v, want ErrNoAuth", err)
	}
	if _, err := c.Create("/zoo-locked/authed/_c_squat-lock-", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated squat: %v, want ErrNoAuth", err)
	}
	other := startWrapper(t, "auth", nil, "--auth-file", theirs, "--no-wait", "authed", "--", "true")
	if code := other.wait(t, 10*time.Second); code != 70 || !strings.Contains(other.stderr.String(), "other credentials") {
		t.Fatalf("other tenant: exit %d, stderr %s", code, other.stderr)
	}
	if strings.Contains(holder.stderr.String(), "s3cret") || strings.Contains(other.stderr.String(), "guess") {
		t.Fatal("a password reached the logs")
	}
	if out, code := inspectCmd(t, "status", "authed"); code != 0 || !strings.Contains(out, "held") {
		t.Fatalf("status by another tenant: exit %d\n%s", code, out)
	}
	same := startWrapper(t, "auth", nil, "--auth-file", mine, "--no-wait", "authed", "--", "true")
	if code := same.wait(t, 10*time.Second); code != 75 {
		t.Fatalf("same tenant while held: exit %d, want busy; stderr %s", code, same.stderr)
	}
}
