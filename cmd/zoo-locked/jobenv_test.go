package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
)

func TestHolderDataReadable(t *testing.T) {
	startWrapper(t, "data", nil, "holder-data", "--", "sleep", "30")
	c := zkClient(t)
	var names []string
	eventually(t, 10*time.Second, "acquired", func() bool { names = contenders(t, c, "holder-data"); return len(names) == 1 })
	data, _, err := c.Get("/zoo-locked/holder-data/" + names[0])
	if err != nil {
		t.Fatal(err)
	}
	var h fleet.Holder
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("holder data %q: %v", data, err)
	}
	host, _ := os.Hostname()
	if h.Host != host || h.Pid <= 0 || strings.Join(h.Command, " ") != "sleep 30" || h.Version == "" || h.Start.IsZero() {
		t.Fatalf("holder data %+v", h)
	}
}

// TestJobEnvironment: the job is told which lock it holds, its fencing
// token, its znode and its session, and each matches the server's view.
func TestJobEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	startWrapper(t, "env", nil, "job-env", "--", "sh", "-c",
		`printf '%s\n%s\n%s\n%s\n' "$ZOOLOCKED_NAME" "$ZOOLOCKED_TOKEN" "$ZOOLOCKED_ZNODE" "$ZOOLOCKED_SESSION" > "$0.tmp" && mv "$0.tmp" "$0"; sleep 30`, out)
	var lines []string
	eventually(t, 10*time.Second, "job wrote its environment", func() bool {
		b, err := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return err == nil
	})
	if len(lines) != 4 {
		t.Fatalf("job environment %q: want name, token, znode, session", lines)
	}
	name, token, znode, session := lines[0], lines[1], lines[2], lines[3]
	_, stat, err := zkClient(t).Get(znode)
	if err != nil {
		t.Fatalf("ZOOLOCKED_ZNODE=%q: %v", znode, err)
	}
	if name != "job-env" || !strings.HasPrefix(znode, "/zoo-locked/job-env/") {
		t.Fatalf("ZOOLOCKED_NAME=%q ZOOLOCKED_ZNODE=%q", name, znode)
	}
	if token != strconv.FormatInt(stat.Czxid, 10) {
		t.Fatalf("ZOOLOCKED_TOKEN=%s, the znode's czxid is %d", token, stat.Czxid)
	}
	if session != fmt.Sprintf("0x%x", stat.EphemeralOwner) {
		t.Fatalf("ZOOLOCKED_SESSION=%s, the znode's owner is 0x%x", session, stat.EphemeralOwner)
	}
}
