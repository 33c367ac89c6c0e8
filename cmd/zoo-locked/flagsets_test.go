package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/lock"
)

// TestEachCommandTakesItsOwnFlags: a flag another command owns is refused
// by name, saying which command takes it, and following that advice
// parses; flags before and after the command word both count.
func TestEachCommandTakesItsOwnFlags(t *testing.T) {
	for _, tc := range []struct {
		args, want []string
		fixed      []string
	}{
		{[]string{"--zk", "zk1", "status", "--kill-grace", "1s", "job"}, []string{"--kill-grace does not apply to status", "a run"},
			[]string{"--zk", "zk1", "--kill-grace", "1s", "job", "--", "true"}},
		{[]string{"--zk", "zk1", "--for", "1h", "resume", "job"}, []string{"--for does not apply to resume", "pause"},
			[]string{"--zk", "zk1", "--for", "1h", "pause", "job"}},
		{[]string{"--zk", "zk1", "--max-age", "2h", "job", "--", "true"}, []string{"--max-age does not apply to a run", "check"},
			[]string{"--zk", "zk1", "check", "--max-age", "2h", "job"}},
		{[]string{"--zk", "zk1", "list", "--once-per", "1h"}, []string{"--once-per does not apply to list", "a run (NAME -- COMMAND), check"},
			[]string{"--zk", "zk1", "check", "--once-per", "1h", "job"}},
		{[]string{"--zk", "zk1", "reset", "--json", "job"}, []string{"--json does not apply to reset", "status"},
			[]string{"--zk", "zk1", "status", "--json", "job"}},
	} {
		_, err := parseArgs(tc.args, noEnv)
		if !errors.Is(err, lock.ErrUsage) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", tc.args, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("parseArgs(%q): %v; want it to say %q", tc.args, err, w)
			}
		}
		if _, err := parseArgs(tc.fixed, noEnv); err != nil {
			t.Errorf("the advice followed, parseArgs(%q): %v", tc.fixed, err)
		}
	}
}

// TestHostSettingsServeEveryCommand: one host's config file and a crontab's
// environment hold the run's settings; the other commands take theirs
// from the same file and leave the rest, even a run setting that is wrong.
func TestHostSettingsServeEveryCommand(t *testing.T) {
	path := writeConfig(t, "ZOOLOCKED_ZK=file1:2181\nZOOLOCKED_ONCE_PER=1h\nZOOLOCKED_KILL_GRACE=3s\nZOOLOCKED_WAIT_TIMEOUT=1m\n", 0o644)
	env := envWith(map[string]string{"ZOOLOCKED_CONFIG": path, "ZOOLOCKED_LIMIT": "zero"})
	o, err := parseArgs([]string{"status", "job"}, env)
	if err != nil || o.cfg.Session.Servers[0] != "file1:2181" || o.cfg.OncePer != nil {
		t.Fatalf("status under a run's settings: %+v, %v", o.cfg, err)
	}
	o, err = parseArgs([]string{"check", "job"}, env)
	if err != nil || o.cfg.OncePer == nil || o.cfg.OncePer.String() != "1h0m0s" {
		t.Fatalf("check reads the run's schedule from the file: %+v, %v", o.cfg.OncePer, err)
	}
	o, err = parseArgs([]string{"stop", "job"}, env)
	if err != nil || o.cfg.WaitTimeout != time.Minute || o.cfg.Session.KillGrace != 0 {
		t.Fatalf("stop takes the wait and leaves the job's grace: %+v, %v", o.cfg, err)
	}
	if _, err := parseArgs([]string{"job", "--", "true"}, env); err == nil || !strings.Contains(err.Error(), "ZOOLOCKED_LIMIT") {
		t.Fatalf("a run under a wrong ZOOLOCKED_LIMIT: %v, want it named", err)
	}
}

// TestHelpShowsEachCommandsFlags: --help shows every flag once, under the
// group that owns it, and says which commands each group serves.
func TestHelpShowsEachCommandsFlags(t *testing.T) {
	var b strings.Builder
	printHelp(&b)
	help := b.String()
	for _, g := range allGroups {
		if !strings.Contains(help, g.title+":") {
			t.Errorf("help lacks the group %q", g.title)
		}
	}
	all := newFlagSet(&options{}, map[string]*time.Duration{}, allGroups)
	for _, name := range []string{"zk", "once-per", "max-age", "for", "json", "wait-timeout", "kill-grace"} {
		if all.Lookup(name) == nil {
			t.Fatalf("no flag --%s", name)
		}
		if n := strings.Count(help, "  --"+name+" "); n != 1 {
			t.Errorf("help shows --%s %d times, want once", name, n)
		}
	}
}
