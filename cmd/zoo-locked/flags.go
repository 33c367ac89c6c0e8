package main

import (
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/cmd/internal/connect"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
	"github.com/zoo-locked/zoo-locked/cmd/zoo-locked/ping"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// options is the command line, parsed and validated.
type options struct {
	cfg fleet.Config
	// subcommand is "", "status", "list", "reset", "check", "config",
	// "pause", "resume" or "stop".
	subcommand string
	// pauseFor, reason and alsoStop are pause's: how long, why, and
	// whether to stop the running job too.
	pauseFor time.Duration
	reason   string
	alsoStop bool
	// pingBodyLimit is how much of the job's output's tail the final
	// ping carries.
	pingBodyLimit int
	// splay is the most the wrapper waits before connecting.
	splay time.Duration
	// maxAge is check's bound on a plain lock's last success.
	maxAge time.Duration
	// pingURL and metricsFile report runs outside ZooKeeper.
	pingURL, metricsFile string
	json                 bool
	shell                bool
	busyExitCode         int
	logLevel             slog.Level
	logFormat            string
	version              bool
	help                 bool
	// sources say where each setting came from (zoo-locked config).
	sources []source
	// classic says the command line is the replaced C tool's: HOSTS PATH
	// 'COMMAND', tried once, "LOCKED by <znode>" and 0 when busy.
	classic bool
	// man prints zoo-locked(1) (hidden: make deb uses it).
	man bool
	// noFence, testSignalAtGrant and clockSkew: see the hidden flags.
	noFence, testSignalAtGrant bool
	clockSkew                  time.Duration
	trustEnsembleClock         bool
}

// envPrefix + the flag name in upper snake case is every flag's twin.
const envPrefix = "ZOOLOCKED_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func newFlagSet(o *options, durations map[string]*time.Duration) *pflag.FlagSet {
	fs := pflag.NewFlagSet("zoo-locked", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.String("zk", "", "ZooKeeper connect string: host:port[,host:port...][/chroot] (required)")
	fs.String("root", "/zoo-locked", "znode under which every lock lives")
	durations["session-timeout"] = fs.Duration("session-timeout", lock.DefaultSessionTimeout, "session timeout to request (the servers may grant less)")
	durations["connect-timeout"] = fs.Duration("connect-timeout", lock.DefaultConnectTimeout, "give up (exit 69) when no server gives a session within this")
	durations["kill-grace"] = fs.Duration("kill-grace", 2*time.Second, "time between SIGTERM and SIGKILL to the job")
	fs.BoolVar(&o.cfg.NoWait, "no-wait", false, "try once; exit with the busy code if the lock is held")
	durations["wait-timeout"] = fs.Duration("wait-timeout", 0, "give up waiting for the lock after this (default: wait forever)")
	fs.IntVar(&o.busyExitCode, "busy-exit-code", exitcode.Busy, "exit code when the lock is busy or the wait timed out")
	durations["max-runtime"] = fs.Duration("max-runtime", 0, "stop the job (SIGTERM, then SIGKILL) after this (default: no limit)")
	fs.IntVar(&o.cfg.Limit, "limit", 1, "let up to N nodes hold the lock at once (a semaphore)")
	fs.String("once-per", "", "run at most once per slot across the cluster: a cron expression, e.g. '0 * * * *' or 'CRON_TZ=Europe/Berlin 0 9,17 * * 1-5' (a slot runs from one firing to the next), or a duration, e.g. 1h (slots aligned to the epoch, UTC)")
	durations["slot-offset"] = fs.Duration("slot-offset", 0, "shift duration --once-per slots, e.g. 2h30m for a daily job counted from 02:30 UTC")
	durations["splay"] = fs.Duration("splay", 0, "wait a random time in [0, DUR) before connecting, so a fleet firing at :00 does not reach the ensemble at once (a --once-per slot is still judged from the firing)")
	fs.StringVar(&o.pingURL, "ping-url", "", "Healthchecks-style URL: the node that runs the job sends URL/start, then URL or URL/<exit status> (79: fenced), with ?rid=<run id>; skipping nodes send nothing")
	fs.IntVar(&o.pingBodyLimit, "ping-body-limit", 10240, "with --ping-url: the final ping carries the last N bytes of the job's output (stdout and stderr as they interleaved) as its body; 0: none")
	fs.IntVar(&o.cfg.MaxAttempts, "max-attempts", 0, "with --once-per: after N failed runs of a slot, across the fleet, firings skip until the next slot (default: no bound; at most 20, the ledger's size)")
	fs.StringVar(&o.metricsFile, "metrics-file", "", "write node_exporter textfile metrics here after every firing (last start/end/success, duration, exit, lock wait, firings by outcome)")
	fs.StringSliceVar(&o.cfg.Contenders.Extra, "contender-pattern", nil, "also queue behind children of the lock path whose name ends in PATTERN and a ten-digit sequence (repeatable; zoo-locked, Curator, go-zookeeper, kazoo and ZooKeeper's C recipe are always seen), as kazoo's extra_lock_patterns")
	fs.String("contender-style", string(lock.StyleZooLocked), "how this wrapper names its contender: zoo-locked (Curator's protected form) or kazoo (counted by kazoo's default Lock, for a path shared with kazoo; not with Curator)")
	fs.BoolVar(&o.shell, "shell", false, "run COMMAND with sh -c (one string) instead of executing argv directly")
	fs.String("log-level", "warn", "debug, info, warn or error (messages go to stderr)")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.String("auth-file", "", "file holding user:password for ZooKeeper digest auth; locks then get creator-only ACLs")
	fs.String("tls-ca", "", "PEM CA bundle: connect with TLS (to the servers' secure client port)")
	fs.String("tls-cert", "", "PEM client certificate, for servers that require one (with --tls-key)")
	fs.String("tls-key", "", "PEM key of --tls-cert")
	fs.BoolVar(&o.json, "json", false, "status, list and check: print JSON")
	durations["max-age"] = fs.Duration("max-age", 0, "check of a lock without --once-per: WARNING when no successful run started within DUR")
	fs.DurationVar(&o.pauseFor, "for", 0, "pause: end the pause by itself after DUR, on the ensemble's clock (default: until resume)")
	fs.StringVar(&o.reason, "reason", "", "pause: `TEXT` saying why, shown by status, list, check and every skipped firing")
	fs.BoolVar(&o.alsoStop, "stop", false, "pause: also stop the running job, as zoo-locked stop does")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	// Test-only: lets the chaos harness show that its checker catches the
	// overlaps a wrapper without a fence causes. Hidden from --help.
	fs.BoolVar(&o.noFence, "unsafe-no-fence", false, "")
	// Test-only: the wrapper sends itself SIGTERM right at the grant, the
	// moment the wait stops listening for signals (fleet.Unsafe).
	fs.BoolVar(&o.testSignalAtGrant, "unsafe-test-signal-at-grant", false, "")
	// Test-only: skews this wrapper's wall clock, to show that slots follow
	// the ensemble's clock whatever the node's says.
	fs.DurationVar(&o.clockSkew, "unsafe-clock-skew", 0, "")
	fs.BoolVar(&o.trustEnsembleClock, "unsafe-trust-ensemble-clock", false, "")
	fs.BoolVar(&o.man, "man", false, "")
	for _, name := range hidden {
		_ = fs.MarkHidden(name) // cannot fail: the flag was just defined
	}
	return fs
}

// hidden are the flags --help does not show: the tests' and make deb's.
var hidden = []string{"unsafe-no-fence", "unsafe-test-signal-at-grant", "unsafe-clock-skew", "unsafe-trust-ensemble-clock", "man"}

// subcommands inspect or repair locks instead of running a command.
var subcommands = map[string]bool{"status": true, "list": true, "reset": true, "check": true, "config": true,
	"pause": true, "resume": true, "stop": true}

// pauseOnly are the flags of pause alone: no crontab line sets them.
var pauseOnly = []string{"for", "reason", "stop"}

// noEnvTwin are the flags that make no sense in a crontab's environment:
// the hidden ones, --version and --help.
var noEnvTwin = func() map[string]bool {
	m := map[string]bool{"version": true, "help": true}
	for _, name := range append(slices.Clone(hidden), pauseOnly...) {
		m[name] = true
	}
	return m
}()

// parseArgs turns argv (without the program name) and the environment
// into options. Every error wraps lock.ErrUsage.
func parseArgs(args []string, getenv func(string) string) (options, error) {
	var o options
	durations := map[string]*time.Duration{}
	fs := newFlagSet(&o, durations)
	if err := fs.Parse(args); err != nil {
		return o, usageErr("%v", err)
	}
	// Flags may follow an inspection's name too (status --json NAME); a
	// lock named like one is still run with "--": status -- COMMAND.
	if rest := fs.Args(); len(rest) > 0 && subcommands[rest[0]] && (len(rest) < 2 || rest[1] != "--") {
		fs.SetInterspersed(true)
		if err := fs.Parse(rest[1:]); err != nil {
			return o, usageErr("%s: %v", rest[0], err)
		}
		o.subcommand = rest[0]
	}
	if o.help || o.version || o.man {
		return o, nil
	}
	cf, err := loadConfig(getenv, func(key string) bool {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(key, envPrefix)), "_", "-")
		return strings.HasPrefix(key, envPrefix) && fs.Lookup(name) != nil && !noEnvTwin[name]
	})
	if err != nil {
		return o, err
	}
	if o.sources, err = applySettings(fs, getenv, cf); err != nil {
		return o, err
	}
	if o.subcommand == "config" {
		return o, nil
	}
	if o.subcommand == "" && isClassicForm(fs.Args()) {
		// The crontab line's own hosts win over the environment and the
		// file, as a flag would.
		o.classic = true
		if err := fs.Set("zk", fs.Args()[0]); err != nil {
			return o, usageErr("HOSTS %q: %v", fs.Args()[0], err)
		}
		o.cfg.NoWait = true
	}
	for name, d := range durations {
		f := fs.Lookup(name)
		optional := name == "wait-timeout" || name == "max-runtime" || name == "splay" || name == "max-age"
		if name == "slot-offset" {
			continue
		}
		if *d < 0 || (*d == 0 && (!optional || f.Changed || getenv(envName(name)) != "")) {
			return o, usageErr("--%s %v: must be a positive duration such as 30s or 1m30s", name, *d)
		}
	}
	cfg := &o.cfg
	if cfg.OncePer, err = parseOncePer(fs.Lookup("once-per").Value.String(), *durations["slot-offset"]); err != nil {
		return o, err
	}
	o.splay, o.maxAge = *durations["splay"], *durations["max-age"]
	if o.pingURL != "" {
		if _, err := ping.New(o.pingURL, nil); err != nil {
			return o, usageErr("--ping-url: %v", err)
		}
	}
	if o.metricsFile != "" {
		if info, err := os.Stat(filepath.Dir(o.metricsFile)); err != nil || !info.IsDir() {
			return o, usageErr("--metrics-file %s: its directory must exist (node_exporter's --collector.textfile.directory)", o.metricsFile)
		}
	}
	if o.maxAge > 0 && o.subcommand != "check" {
		return o, usageErr("--max-age applies to check only")
	}
	for _, name := range pauseOnly {
		if fs.Lookup(name).Changed && o.subcommand != "pause" {
			return o, usageErr("--%s applies to pause only: zoo-locked pause NAME --%s ...", name, name)
		}
	}
	if o.pauseFor < 0 || (o.pauseFor == 0 && fs.Lookup("for").Changed) {
		return o, usageErr("--for %v: must be a positive duration such as 30m or 2h (leave it out to pause until resume)", o.pauseFor)
	}
	if f := fs.Lookup("max-attempts"); f.Changed || getenv(envName("max-attempts")) != "" || o.cfg.MaxAttempts != 0 {
		switch {
		case o.cfg.MaxAttempts < 1 || o.cfg.MaxAttempts > fleet.LedgerSize:
			return o, usageErr("--max-attempts %d: must be 1 to %d (the ledger keeps the last %d runs)", o.cfg.MaxAttempts, fleet.LedgerSize, fleet.LedgerSize)
		case cfg.OncePer == nil:
			return o, usageErr("--max-attempts counts the failed runs of a slot: it needs --once-per")
		}
	}
	if o.pingBodyLimit < 0 {
		return o, usageErr("--ping-body-limit %d: must be 0 or more bytes", o.pingBodyLimit)
	}
	if cfg.Limit < 1 {
		return o, usageErr("--limit %d: at least 1", cfg.Limit)
	}
	cfg.Session.SessionTimeout = *durations["session-timeout"]
	cfg.Session.ConnectTimeout = *durations["connect-timeout"]
	cfg.Session.KillGrace = *durations["kill-grace"]
	cfg.WaitTimeout = *durations["wait-timeout"]
	cfg.MaxRuntime = *durations["max-runtime"]
	if cfg.Session.KillGrace >= cfg.Session.SessionTimeout/2 {
		return o, usageErr("--kill-grace %v must be under half the --session-timeout %v", cfg.Session.KillGrace, cfg.Session.SessionTimeout)
	}
	if o.classic && cfg.WaitTimeout > 0 {
		return o, usageErr("--wait-timeout does not apply to the form HOSTS PATH 'COMMAND', which tries once; use NAME -- COMMAND to wait")
	}
	if cfg.NoWait && cfg.WaitTimeout > 0 {
		return o, usageErr("--no-wait and --wait-timeout exclude each other")
	}
	if o.busyExitCode < 0 || o.busyExitCode > 255 {
		return o, usageErr("--busy-exit-code %d: must be 0-255", o.busyExitCode)
	}
	if err := o.logLevel.UnmarshalText([]byte(fs.Lookup("log-level").Value.String())); err != nil {
		return o, usageErr("--log-level %q: want debug, info, warn or error", fs.Lookup("log-level").Value.String())
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, usageErr("--log-format %q: want text or json", o.logFormat)
	}
	zkFlag := fs.Lookup("zk").Value.String()
	if zkFlag == "" {
		return o, usageErr("no ZooKeeper given: pass --zk host:port[,host:port...] or set %s", envName("zk"))
	}
	cs, err := connect.ParseConnectString(zkFlag)
	if err != nil {
		return o, usageErr("--zk: %s", err)
	}
	root := fs.Lookup("root").Value.String()
	if err := lock.ValidateRoot(root); err != nil {
		return o, err
	}
	if path := fs.Lookup("auth-file").Value.String(); path != "" {
		if cfg.Session.Auth, err = connect.ReadAuthFile(path); err != nil {
			return o, usageErr("--auth-file: %s", err)
		}
	}
	tlsFiles := connect.TLSFiles{CA: fs.Lookup("tls-ca").Value.String(), Cert: fs.Lookup("tls-cert").Value.String(), Key: fs.Lookup("tls-key").Value.String()}
	if tlsFiles != (connect.TLSFiles{}) {
		if cfg.Session.TLS, err = tlsFiles.Config(); err != nil {
			return o, usageErr("--tls-ca/--tls-cert/--tls-key: %s", err)
		}
	}
	cfg.Session.Servers = cs.Servers
	cfg.Root = cs.Chroot + root

	for _, p := range cfg.Contenders.Extra {
		if err := lock.ValidateContenderPattern(p); err != nil {
			return o, usageErr("--contender-pattern: %s", err)
		}
	}
	if cfg.ContenderStyle, err = lock.ParseContenderStyle(fs.Lookup("contender-style").Value.String()); err != nil {
		return o, usageErr("--contender-style: %s", err)
	}
	rest := fs.Args()
	if o.classic {
		return o, classicCommand(&o, cs.Chroot, rest[1], rest[2])
	}
	switch o.subcommand {
	case "list":
		if len(rest) != 0 {
			return o, usageErr("list takes no arguments, got %q", rest)
		}
		return o, nil
	case "status", "reset", "check", "pause", "resume", "stop":
		if len(rest) != 1 {
			return o, usageErr("%s takes one lock NAME: zoo-locked [flags] %s NAME", o.subcommand, o.subcommand)
		}
		cfg.Name = rest[0]
		return o, lock.ValidateName(cfg.Name)
	}
	if len(rest) == 0 {
		return o, usageErr("missing lock NAME and COMMAND: zoo-locked [flags] NAME -- COMMAND [ARGS...]")
	}
	cfg.Name, rest = rest[0], rest[1:]
	if err := lock.ValidateName(cfg.Name); err != nil {
		return o, err
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return o, usageErr("missing COMMAND after lock name %q: zoo-locked [flags] NAME -- COMMAND [ARGS...]", cfg.Name)
	}
	if o.shell {
		rest = []string{"/bin/sh", "-c", strings.Join(rest, " ")}
	}
	cfg.Command = rest
	return o, nil
}

// parseOncePer reads --once-per: a duration, else a cron expression.
// --slot-offset shifts duration slots only; a cron expression says when
// its slots begin itself.
func parseOncePer(value string, offset time.Duration) (schedule.Schedule, error) {
	if value == "" {
		if offset != 0 {
			return nil, usageErr("--slot-offset %v needs --once-per", offset)
		}
		return nil, nil
	}
	if period, err := time.ParseDuration(value); err == nil {
		if period <= 0 {
			return nil, usageErr("--once-per %v: must be a positive duration such as 1h, or a cron expression", period)
		}
		if offset < 0 || offset >= period {
			return nil, usageErr("--slot-offset %v: must be at least 0 and under --once-per %v", offset, period)
		}
		return schedule.Every{Period: period, Offset: offset}, nil
	}
	sched, err := schedule.ParseCron(value)
	if err != nil {
		return nil, usageErr("--once-per: %s (want a duration such as 1h, or five cron fields such as '0 * * * *')", err)
	}
	if offset != 0 {
		return nil, usageErr("--slot-offset applies to a duration --once-per; a cron expression says when its slots begin")
	}
	return sched, nil
}

func usageErr(format string, args ...any) error { return lock.UsageErrorf(format, args...) }

// newLogger builds the wrapper's own logger: stderr, quiet by default.
func newLogger(o options) *slog.Logger {
	h := &slog.HandlerOptions{Level: o.logLevel}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, h))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, h))
}

// isClassicForm tells the replaced C tool's calling convention, HOSTS PATH
// 'COMMAND', from NAME COMMAND ARGS: three words, no "--", an absolute
// PATH, and HOSTS a list of host:port whose every port is given (a lock
// NAME has no '/' and no such list).
func isClassicForm(rest []string) bool {
	if len(rest) != 3 || rest[1] == "--" || rest[2] == "--" || !strings.HasPrefix(rest[1], "/") {
		return false
	}
	hosts, _, _ := strings.Cut(rest[0], "/")
	for _, h := range strings.Split(hosts, ",") {
		i := strings.LastIndexByte(h, ':')
		if i <= 0 || i == len(h)-1 || strings.Trim(h[i+1:], "0123456789") != "" {
			return false
		}
	}
	return true
}

// classicCommand fills the lock and the command of the classic form: the
// lock is PATH itself (its parent the root), COMMAND runs with /bin/sh -c
// as popen ran it.
func classicCommand(o *options, chroot, lockPath, command string) error {
	if err := lock.ValidateRoot(lockPath); err != nil || lockPath == "/" {
		return usageErr("PATH %q: want the lock's absolute znode path, such as /cron/invoices", lockPath)
	}
	o.cfg.Root = path.Join(chroot, path.Dir(lockPath))
	o.cfg.Name = path.Base(lockPath)
	if err := lock.ValidateName(o.cfg.Name); err != nil {
		return usageErr("PATH %q: %s", lockPath, err)
	}
	o.cfg.Command = []string{"/bin/sh", "-c", command}
	return nil
}
