package main

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// A flag group defines flags that belong together; each command's flag
// set is made of the groups it reads, so a flag another command owns is
// refused by name (flagOwnedElsewhere) rather than silently ignored.
type flagGroup struct {
	title  string // the heading --help shows it under
	define func(fs *pflag.FlagSet, o *options, durations map[string]*time.Duration)
}

var (
	connectionFlags = flagGroup{"Connection flags (every command)", func(fs *pflag.FlagSet, o *options, d map[string]*time.Duration) {
		fs.String("zk", "", "ZooKeeper connect string: host:port[,host:port...][/chroot] (required)")
		fs.String("root", "/zoo-locked", "znode under which every lock lives")
		d["session-timeout"] = fs.Duration("session-timeout", lock.DefaultSessionTimeout, "session timeout to request (the servers may grant less)")
		d["connect-timeout"] = fs.Duration("connect-timeout", lock.DefaultConnectTimeout, "give up (exit 69) when no server gives a session within this")
		fs.String("auth-file", "", "file holding user:password for ZooKeeper digest auth; locks then get creator-only ACLs")
		fs.String("tls-ca", "", "PEM CA bundle: connect with TLS (to the servers' secure client port)")
		fs.String("tls-cert", "", "PEM client certificate, for servers that require one (with --tls-key)")
		fs.String("tls-key", "", "PEM key of --tls-cert")
		fs.StringSliceVar(&o.cfg.Contenders.Extra, "contender-pattern", nil, "also queue behind children of the lock path whose name ends in PATTERN and a ten-digit sequence (repeatable; zoo-locked, Curator, go-zookeeper, kazoo and ZooKeeper's C recipe are always seen), as kazoo's extra_lock_patterns")
		fs.String("contender-style", string(lock.StyleZooLocked), "how this wrapper names its contender: zoo-locked (Curator's protected form) or kazoo (counted by kazoo's default Lock, for a path shared with kazoo; not with Curator)")
		fs.String("log-level", "warn", "debug, info, warn or error (messages go to stderr)")
		fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
		fs.BoolVar(&o.version, "version", false, "print the version and exit")
		fs.BoolVarP(&o.help, "help", "h", false, "show this help")
		fs.BoolVar(&o.man, "man", false, "") // zoo-locked(1), for make deb
	}}
	scheduleFlags = flagGroup{"Schedule flags (a run, check)", func(fs *pflag.FlagSet, o *options, d map[string]*time.Duration) {
		fs.String("once-per", "", "run at most once per slot across the cluster: a cron expression, e.g. '0 * * * *' or 'CRON_TZ=Europe/Berlin 0 9,17 * * 1-5' (a slot runs from one firing to the next), or a duration, e.g. 1h (slots aligned to the epoch, UTC)")
		d["slot-offset"] = fs.Duration("slot-offset", 0, "shift duration --once-per slots, e.g. 2h30m for a daily job counted from 02:30 UTC")
		fs.IntVar(&o.cfg.MaxAttempts, "max-attempts", 0, "with --once-per: after N failed runs of a slot, across the fleet, firings skip until the next slot (default: no bound; at most 20, the ledger's size)")
	}}
	waitFlags = flagGroup{"Waiting flags (a run, stop, pause --stop)", func(fs *pflag.FlagSet, o *options, d map[string]*time.Duration) {
		d["wait-timeout"] = fs.Duration("wait-timeout", 0, "give up waiting for the lock after this (default: wait forever)")
		fs.IntVar(&o.busyExitCode, "busy-exit-code", exitcode.Busy, "exit code when the lock is busy or the wait timed out")
	}}
	runFlags = flagGroup{"Run flags (NAME -- COMMAND)", func(fs *pflag.FlagSet, o *options, d map[string]*time.Duration) {
		d["kill-grace"] = fs.Duration("kill-grace", 2*time.Second, "time between SIGTERM and SIGKILL to the job")
		fs.BoolVar(&o.cfg.NoWait, "no-wait", false, "try once; exit with the busy code if the lock is held")
		d["max-runtime"] = fs.Duration("max-runtime", 0, "stop the job (SIGTERM, then SIGKILL) after this (default: no limit)")
		fs.IntVar(&o.cfg.Limit, "limit", 1, "let up to N nodes hold the lock at once (a semaphore)")
		d["splay"] = fs.Duration("splay", 0, "wait a random time in [0, DUR) before connecting, so a fleet firing at :00 does not reach the ensemble at once (a --once-per slot is still judged from the firing)")
		fs.StringVar(&o.pingURL, "ping-url", "", "Healthchecks-style URL: the node that runs the job sends URL/start, then URL or URL/<exit status> (79: fenced), with ?rid=<run id>; skipping nodes send nothing")
		fs.IntVar(&o.pingBodyLimit, "ping-body-limit", 10240, "with --ping-url: the final ping carries the last N bytes of the job's output (stdout and stderr as they interleaved) as its body; 0: none")
		fs.StringVar(&o.metricsFile, "metrics-file", "", "write node_exporter textfile metrics here after every firing (last start/end/success, duration, exit, lock wait, firings by outcome)")
		fs.BoolVar(&o.shell, "shell", false, "run COMMAND with sh -c (one string) instead of executing argv directly")
		// Test-only, hidden from --help: let the chaos harness show that its
		// checker catches the overlaps a wrapper without a fence causes;
		// send the wrapper SIGTERM right at the grant, the moment the wait
		// stops listening for signals (fleet.Unsafe); skew its wall clock,
		// to show that slots follow the ensemble's clock whatever the
		// node's says.
		fs.BoolVar(&o.noFence, "unsafe-no-fence", false, "")
		fs.BoolVar(&o.testSignalAtGrant, "unsafe-test-signal-at-grant", false, "")
		fs.DurationVar(&o.clockSkew, "unsafe-clock-skew", 0, "")
		fs.BoolVar(&o.trustEnsembleClock, "unsafe-trust-ensemble-clock", false, "")
	}}
	outputFlags = flagGroup{"Output flags (status, list, check, pause, resume, stop)", func(fs *pflag.FlagSet, o *options, _ map[string]*time.Duration) {
		fs.BoolVar(&o.json, "json", false, "print JSON")
	}}
	checkFlags = flagGroup{"check flags", func(fs *pflag.FlagSet, _ *options, d map[string]*time.Duration) {
		d["max-age"] = fs.Duration("max-age", 0, "check of a lock without --once-per: WARNING when no successful run started within DUR")
	}}
	pauseFlags = flagGroup{"pause flags", func(fs *pflag.FlagSet, o *options, _ map[string]*time.Duration) {
		fs.DurationVar(&o.pauseFor, "for", 0, "end the pause by itself after DUR, on the ensemble's clock (default: until resume)")
		fs.StringVar(&o.reason, "reason", "", "`TEXT` saying why, shown by status, list, check and every skipped firing")
		fs.BoolVar(&o.alsoStop, "stop", false, "also stop the running job, as zoo-locked stop does")
	}}
)

// allGroups is every group in the order --help shows them.
var allGroups = []flagGroup{connectionFlags, runFlags, scheduleFlags, waitFlags, outputFlags, checkFlags, pauseFlags}

// commandGroups are the groups each command reads ("" is a run). config
// shows every setting, so it takes them all.
var commandGroups = map[string][]flagGroup{
	"":       {connectionFlags, runFlags, scheduleFlags, waitFlags},
	"status": {connectionFlags, outputFlags},
	"list":   {connectionFlags, outputFlags},
	"reset":  {connectionFlags},
	"check":  {connectionFlags, scheduleFlags, outputFlags, checkFlags},
	"pause":  {connectionFlags, outputFlags, pauseFlags, waitFlags},
	"resume": {connectionFlags, outputFlags},
	"stop":   {connectionFlags, outputFlags, waitFlags},
	"config": allGroups,
}

// hidden are the flags --help does not show: the tests' and make deb's.
var hidden = []string{"unsafe-no-fence", "unsafe-test-signal-at-grant", "unsafe-clock-skew", "unsafe-trust-ensemble-clock", "man"}

// noEnvTwin are the flags that make no sense in a crontab's environment:
// the hidden ones, --version, --help and pause's own.
var noEnvTwin = func() map[string]bool {
	m := map[string]bool{"version": true, "help": true, "for": true, "reason": true, "stop": true}
	for _, name := range hidden {
		m[name] = true
	}
	return m
}()

// newFlagSet is the flag set of the given groups, bound to o.
func newFlagSet(o *options, durations map[string]*time.Duration, groups []flagGroup) *pflag.FlagSet {
	fs := pflag.NewFlagSet("zoo-locked", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	for _, g := range groups {
		g.define(fs, o, durations)
	}
	for _, name := range hidden {
		if fs.Lookup(name) != nil {
			_ = fs.MarkHidden(name) // cannot fail: the flag is defined
		}
	}
	return fs
}

// splitCommand finds the command word, wherever the flags put it
// (status --json NAME, --json status NAME), and returns it with the
// arguments that remain. A lock named like a command is still run with
// "--": status -- COMMAND.
func splitCommand(args []string) (command string, rest []string) {
	var scratch options
	fs := newFlagSet(&scratch, map[string]*time.Duration{}, allGroups)
	fs.SetInterspersed(false)
	if fs.Parse(args) != nil {
		return "", args // the command's own parse reports it
	}
	after := fs.Args()
	if len(after) == 0 || commandGroups[after[0]] == nil || after[0] == "" || (len(after) > 1 && after[1] == "--") {
		return "", args
	}
	before := args[:len(args)-len(after)]
	return after[0], append(slices.Clone(before), after[1:]...)
}

// flagOwnedElsewhere names, when args hold a flag the command does not
// take, the flag and the commands that do; nil when the fault is another.
func flagOwnedElsewhere(command string, args []string) error {
	var scratch options
	all := newFlagSet(&scratch, map[string]*time.Duration{}, allGroups)
	all.SetInterspersed(command != "")
	if all.Parse(args) != nil {
		return nil
	}
	own := newFlagSet(&options{}, map[string]*time.Duration{}, commandGroups[command])
	var err error
	all.Visit(func(f *pflag.Flag) {
		if err == nil && own.Lookup(f.Name) == nil {
			err = usageErr("--%s does not apply to %s; it is for %s", f.Name, commandName(command), strings.Join(commandsTaking(f.Name), ", "))
		}
	})
	return err
}

func commandName(command string) string {
	if command == "" {
		return "a run (NAME -- COMMAND)"
	}
	return command
}

// commandsTaking lists the commands whose set has the flag, config aside.
func commandsTaking(flag string) []string {
	var names []string
	for _, command := range []string{"", "status", "list", "reset", "check", "pause", "resume", "stop"} {
		fs := newFlagSet(&options{}, map[string]*time.Duration{}, commandGroups[command])
		if fs.Lookup(flag) != nil {
			names = append(names, commandName(command))
		}
	}
	return names
}
