package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

func noEnv(string) string { return "" }

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"--zk", "zk1,zk2:2182/chroot", "--session-timeout", "6s", "--kill-grace", "1s",
		"--wait-timeout", "1m30s", "--max-runtime", "1h", "invoices", "--", "ls", "-la"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if strings.Join(c.Session.Servers, ",") != "zk1:2181,zk2:2182" || c.Root != "/chroot/zoo-locked" ||
		c.Session.SessionTimeout != 6*time.Second || c.Session.KillGrace != time.Second ||
		c.WaitTimeout != 90*time.Second || c.MaxRuntime != time.Hour || c.Name != "invoices" ||
		strings.Join(c.Command, " ") != "ls -la" {
		t.Fatalf("parsed %+v", c)
	}
}

func TestParseArgsFlagsAfterNameBelongToCommand(t *testing.T) {
	o, err := parseArgs([]string{"--zk", "zk1", "job", "ls", "--no-wait"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.NoWait || strings.Join(o.cfg.Command, " ") != "ls --no-wait" {
		t.Fatalf("parsed %+v", o.cfg)
	}
}

// TestParseArgsClassicForm: the replaced tool's HOSTS PATH 'COMMAND' is
// told from NAME COMMAND ARGS by its absolute PATH and its host:port list.
func TestParseArgsClassicForm(t *testing.T) {
	o, err := parseArgs([]string{"--session-timeout", "20s", "zk1:2181,zk2:2181", "/cron/invoices", "rake invoices"},
		envWith(map[string]string{"ZOOLOCKED_ZK": "elsewhere:2181", "ZOOLOCKED_KILL_GRACE": "3s"}))
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if !o.classic || !c.NoWait || c.Root != "/cron" || c.Name != "invoices" || strings.Join(c.Session.Servers, ",") != "zk1:2181,zk2:2181" ||
		strings.Join(c.Command, "|") != "/bin/sh|-c|rake invoices" || c.Session.SessionTimeout != 20*time.Second || c.Session.KillGrace != 3*time.Second {
		t.Fatalf("parsed %+v classic=%v", c, o.classic)
	}
	if o, err := parseArgs([]string{"zk1:2181/chroot", "/invoices", "true"}, noEnv); err != nil || o.cfg.Root != "/chroot" || o.cfg.Name != "invoices" {
		t.Fatalf("a lock at the top: %+v, %v", o.cfg, err)
	}
	for _, args := range [][]string{
		{"--zk", "zk1", "backup", "/usr/bin/backup", "--full"}, // a NAME has no port
		{"--zk", "zk1", "zk1:2181", "--", "/bin/echo", "hi"},   // "--" says NAME -- COMMAND
		{"--zk", "zk1", "db:main", "/usr/bin/dump", "x"},       // no port after ':'
	} {
		o, err := parseArgs(args, noEnv)
		if err != nil || o.classic {
			t.Errorf("parseArgs(%q): classic=%v err=%v; want the NAME form", args, o.classic, err)
		}
	}
	for _, args := range [][]string{
		{"zk1:2181", "/cron/", "true"},
		{"zk1:2181", "/cron/a b", "true"},
		{"zk1:2181", "/", "true"},
		{"--wait-timeout", "5s", "zk1:2181", "/cron/invoices", "true"},
	} {
		if _, err := parseArgs(args, noEnv); !errors.Is(err, lock.ErrUsage) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestParseArgsEnvTwins(t *testing.T) {
	env := map[string]string{
		"ZOOLOCKED_ZK": "zk9:2181", "ZOOLOCKED_ROOT": "/locks", "ZOOLOCKED_SESSION_TIMEOUT": "8s",
		"ZOOLOCKED_NO_WAIT": "true", "ZOOLOCKED_BUSY_EXIT_CODE": "0", "ZOOLOCKED_SHELL": "true",
	}
	o, err := parseArgs([]string{"--session-timeout", "12s", "job", "--", "echo", "hi"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Session.Servers[0] != "zk9:2181" || c.Root != "/locks" || !c.NoWait || o.busyExitCode != 0 ||
		c.Session.SessionTimeout != 12*time.Second || strings.Join(c.Command, "|") != "/bin/sh|-c|echo hi" {
		t.Fatalf("parsed %+v busy=%d", c, o.busyExitCode)
	}
}

func TestParseArgsRejects(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"job", "--", "true"},
		{"--zk", "zk1"},
		{"--zk", "zk1", "job"},
		{"--zk", "zk1", "job", "--"},
		{"--zk", "zk1", "", "--", "true"},
		{"--zk", "zk1", "a/b", "--", "true"},
		{"--zk", "zk1", "..", "--", "true"},
		{"--zk", "zk1:notaport", "job", "--", "true"},
		{"--zk", "zk1", "--session-timeout", "0s", "job", "--", "true"},
		{"--zk", "zk1", "--kill-grace", "-1s", "job", "--", "true"},
		{"--zk", "zk1", "--wait-timeout", "0s", "job", "--", "true"},
		{"--zk", "zk1", "--max-runtime", "0", "job", "--", "true"},
		{"--zk", "zk1", "--kill-grace", "6s", "job", "--", "true"},
		{"--zk", "zk1", "--session-timeout", "ten", "job", "--", "true"},
		{"--zk", "zk1", "--no-wait", "--wait-timeout", "5s", "job", "--", "true"},
		{"--zk", "zk1", "--busy-exit-code", "256", "job", "--", "true"},
		{"--zk", "zk1", "--log-level", "loud", "job", "--", "true"},
		{"--zk", "zk1", "--log-format", "xml", "job", "--", "true"},
		{"--zk", "zk1", "--root", "relative", "job", "--", "true"},
		{"--zk", "zk1", "--bogus", "job", "--", "true"},
		{"--zk", "zk1", "--contender-style", "curator", "job", "--", "true"},
		{"--zk", "zk1", "--contender-pattern", "a/b", "job", "--", "true"},
	} {
		if _, err := parseArgs(args, noEnv); !errors.Is(err, lock.ErrUsage) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestExitCodeTable(t *testing.T) {
	for _, tc := range []struct {
		res  fleet.Result
		err  error
		want int
	}{
		{fleet.Result{}, nil, 0},
		{fleet.Result{Ran: true, Status: 3}, nil, 3},
		{fleet.Result{Ran: true, Status: 137}, nil, 137},
		{fleet.Result{SlotDone: true}, nil, 0},
		{fleet.Result{}, lock.ErrUsage, 64},
		{fleet.Result{}, &lock.GraceTooLongError{}, 64},
		{fleet.Result{}, lock.ErrUnavailable, 69},
		{fleet.Result{}, lock.ErrOldServer, 69},
		{fleet.Result{}, errors.New("boom"), 70},
		{fleet.Result{}, fleet.ErrInternal, 70},
		{fleet.Result{}, lock.ErrBusy, 75},
		{fleet.Result{Ran: true, Status: 143}, lock.ErrLockLost, 79},
		{fleet.Result{Ran: true, Status: 137}, fmt.Errorf("%w: session expired", lock.ErrLockGone), 79},
		{fleet.Result{}, &fleet.InterruptedError{Signal: syscall.SIGTERM}, 143},
		{fleet.Result{}, fleet.ErrNotFound, 127},
		{fleet.Result{}, fleet.ErrNotExecutable, 126},
	} {
		if got := exitCode(tc.res, tc.err, exitcode.Busy); got != tc.want {
			t.Errorf("exitCode(%+v, %v) = %d, want %d", tc.res, tc.err, got, tc.want)
		}
	}
}

func TestHelpListsEveryFlagAndEnvTwin(t *testing.T) {
	var b strings.Builder
	printHelp(&b)
	for _, want := range []string{"--zk", "--root", "--session-timeout", "--connect-timeout", "--kill-grace", "--no-wait",
		"--wait-timeout", "--busy-exit-code", "--max-runtime", "--shell", "--log-level", "--log-format", "--version", "--help",
		"ZOOLOCKED_ZK", "ZOOLOCKED_KILL_GRACE", "default 10s", "79", "75", "69"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("--zk zk1 job -- true")
	f.Add("--zk a:1/b --kill-grace 1s x y")
	f.Fuzz(func(t *testing.T, line string) {
		o, err := parseArgs(strings.Fields(line), noEnv)
		if err != nil {
			if !errors.Is(err, lock.ErrUsage) {
				t.Fatalf("%q: %v is not a usage error", line, err)
			}
			return
		}
		if o.help || o.version {
			return
		}
		if lock.ValidateName(o.cfg.Name) != nil || len(o.cfg.Command) == 0 || len(o.cfg.Session.Servers) == 0 {
			t.Fatalf("%q accepted as %+v", line, o.cfg)
		}
	})
}

func TestParseArgsBeyondMutex(t *testing.T) {
	o, err := parseArgs([]string{"--zk", "zk1", "--once-per", "24h", "--slot-offset", "2h30m", "--limit", "3", "job", "--", "true"}, noEnv)
	if err != nil || o.cfg.OncePer != (schedule.Every{Period: 24 * time.Hour, Offset: 150 * time.Minute}) || o.cfg.Limit != 3 {
		t.Fatalf("%+v, %v", o.cfg, err)
	}
	for _, expr := range []string{"0 * * * *", "30 2 * * *", "CRON_TZ=Europe/Berlin 0 9,17 * * 1-5"} {
		o, err = parseArgs([]string{"--zk", "zk1", "--once-per", expr, "job", "--", "true"}, noEnv)
		if err != nil || o.cfg.OncePer == nil || o.cfg.OncePer.String() != expr {
			t.Fatalf("--once-per %q: %+v, %v", expr, o.cfg.OncePer, err)
		}
	}
	o, err = parseArgs([]string{"--zk", "zk1", "--json", "status", "invoices"}, noEnv)
	if err != nil || o.subcommand != "status" || o.cfg.Name != "invoices" || !o.json {
		t.Fatalf("status: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"--zk", "zk1", "list"}, noEnv)
	if err != nil || o.subcommand != "list" {
		t.Fatalf("list: %+v, %v", o, err)
	}
	o, err = parseArgs([]string{"--zk", "zk1", "status", "--", "true"}, noEnv)
	if err != nil || o.subcommand != "" || o.cfg.Name != "status" {
		t.Fatalf("a lock named status: %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"--zk", "zk1", "--slot-offset", "1h", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "1h", "--slot-offset", "1h", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "0s", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "-1h", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "0 * * *", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "hourly", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "CRON_TZ=Mars/Olympus 0 * * * *", "job", "--", "true"},
		{"--zk", "zk1", "--once-per", "0 * * * *", "--slot-offset", "5m", "job", "--", "true"},
		{"--zk", "zk1", "--limit", "0", "job", "--", "true"},
		{"--zk", "zk1", "status", "a/b"},
	} {
		if _, err := parseArgs(args, noEnv); !errors.Is(err, lock.ErrUsage) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", args, err)
		}
	}
}

// writeConfig writes a config file with mode perm and returns its path.
func writeConfig(t *testing.T, text string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zoo-locked.conf")
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func envWith(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// TestConfigFilePrecedence: flag, then environment, then file, then default;
// config names where each came from.
func TestConfigFilePrecedence(t *testing.T) {
	path := writeConfig(t, "# the host's ensemble\nZOOLOCKED_ZK=file1:2181,file2:2181\nZOOLOCKED_KILL_GRACE=3s\nexport ZOOLOCKED_ROOT='/from-file'\nZOOLOCKED_LOG_LEVEL=\"info\"\n", 0o644)
	env := map[string]string{"ZOOLOCKED_CONFIG": path, "ZOOLOCKED_KILL_GRACE": "1s"}
	o, err := parseArgs([]string{"--root", "/from-flag", "job", "--", "true"}, envWith(env))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.cfg.Session.Servers, ","); got != "file1:2181,file2:2181" || o.cfg.Session.KillGrace != time.Second || o.cfg.Root != "/from-flag" || o.logLevel.String() != "INFO" {
		t.Fatalf("servers %s, grace %v, root %s, level %v", got, o.cfg.Session.KillGrace, o.cfg.Root, o.logLevel)
	}
	o, err = parseArgs([]string{"config"}, envWith(env))
	if err != nil || o.subcommand != "config" {
		t.Fatalf("config: %+v, %v", o.subcommand, err)
	}
	var b strings.Builder
	printConfig(&b, o.sources)
	for _, want := range []string{"ZOOLOCKED_ZK", "file1:2181,file2:2181", path + ":2", "ZOOLOCKED_KILL_GRACE", "environment", "ZOOLOCKED_ROOT", path + ":4", "ZOOLOCKED_SESSION_TIMEOUT", "default"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("zoo-locked config does not show %q:\n%s", want, b.String())
		}
	}
}

// TestConfigFileRefused: a malformed line names file and line; a file
// others may write is refused; a missing ZOOLOCKED_CONFIG is an error; a
// missing default file is not (this machine has none).
func TestConfigFileRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		perm os.FileMode
		want string
	}{
		"no equals":      {"ZOOLOCKED_ZK=zk1\nnonsense here\n", 0o644, ":2: want KEY=value"},
		"unknown key":    {"ZOOLOCKED_ZOOKEEPER=zk1\n", 0o644, ":1: unknown key ZOOLOCKED_ZOOKEEPER"},
		"bad value":      {"ZOOLOCKED_ZK=zk1\nZOOLOCKED_KILL_GRACE=soon\n", 0o644, ":2: ZOOLOCKED_KILL_GRACE"},
		"group writable": {"ZOOLOCKED_ZK=zk1\n", 0o664, "chmod go-w"},
		"world writable": {"ZOOLOCKED_ZK=zk1\n", 0o646, "chmod go-w"},
	} {
		path := writeConfig(t, tc.text, tc.perm)
		_, err := parseArgs([]string{"job", "--", "true"}, envWith(map[string]string{"ZOOLOCKED_CONFIG": path}))
		if !errors.Is(err, lock.ErrUsage) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want a usage error naming %s and %q", name, err, path, tc.want)
		}
	}
	if _, err := parseArgs([]string{"job", "--", "true"}, envWith(map[string]string{"ZOOLOCKED_CONFIG": "/no/such.conf"})); !errors.Is(err, lock.ErrUsage) {
		t.Errorf("a missing ZOOLOCKED_CONFIG: %v, want a usage error", err)
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		t.Fatalf("%s exists on this machine; the test needs it absent", defaultConfig)
	}
	if _, err := parseArgs([]string{"--zk", "zk1", "job", "--", "true"}, noEnv); err != nil {
		t.Errorf("no config file at all: %v", err)
	}
}

// TestAuthFileReadableByOthersRefused: as ssh refuses a readable key.
func TestAuthFileReadableByOthersRefused(t *testing.T) {
	path := writeConfig(t, "billing:s3cret\n", 0o644)
	_, err := parseArgs([]string{"--zk", "zk1", "--auth-file", path, "job", "--", "true"}, noEnv)
	if !errors.Is(err, lock.ErrUsage) || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("auth file mode 0644: %v, want a usage error with the chmod that fixes it", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseArgs([]string{"--zk", "zk1", "--auth-file", path, "job", "--", "true"}, noEnv); err != nil {
		t.Fatalf("auth file mode 0600: %v", err)
	}
}

// TestManPageAgreesWithHelp: zoo-locked(1) and --help come from one
// description; every flag, its default, its environment twin and every
// exit code appear in both, alike.
func TestManPageAgreesWithHelp(t *testing.T) {
	var help, man strings.Builder
	printHelp(&help)
	printMan(&man)
	roff := strings.NewReplacer(`\-`, "-", `\e`, `\`, `\&`, "").Replace(man.String())
	p := page()
	for _, f := range p.Flags[0].Flags {
		for _, want := range []string{f.Spelling(), f.Usage, f.Extras()} {
			if !strings.Contains(help.String(), want) || !strings.Contains(roff, want) {
				t.Errorf("flag --%s: %q missing from --help or the man page", f.Name, want)
			}
		}
	}
	for _, row := range p.Sections[1].Table {
		if !strings.Contains(roff, row[1]) || !strings.Contains(help.String(), row[1]) {
			t.Errorf("exit code %s missing from one of them", row[0])
		}
	}
	if !strings.HasPrefix(man.String(), ".TH ZOO-LOCKED 1") {
		t.Errorf("not a man page:\n%.200s", man.String())
	}
}
