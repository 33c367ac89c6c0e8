package main

import (
	"log/slog"
	"os"
	"path"
	"strings"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/internal/schedule"
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
	// chroot is the --zk connect string's, which the classic form's PATH
	// sits under.
	chroot string
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

// parseArgs turns argv (without the program name) and the environment
// into options: the command word, its own flag set (flagsets.go), the
// settings from the environment and the config file, then each group's
// checks and the positional arguments. Every error wraps lock.ErrUsage.
func parseArgs(args []string, getenv func(string) string) (options, error) {
	command, args := splitCommand(args)
	o := options{subcommand: command}
	p := parsed{durations: map[string]*time.Duration{}, getenv: getenv}
	p.fs = newFlagSet(&o, p.durations, commandGroups[command])
	// A run's flags end at NAME: what follows is the command's own argv.
	p.fs.SetInterspersed(command != "")
	if err := p.fs.Parse(args); err != nil {
		if elsewhere := flagOwnedElsewhere(command, args); elsewhere != nil {
			return o, elsewhere
		}
		if command != "" {
			return o, usageErr("%s: %v", command, err)
		}
		return o, usageErr("%v", err)
	}
	if o.help || o.version || o.man {
		return o, nil
	}
	cf, err := loadConfig(getenv, knownSettings())
	if err != nil {
		return o, err
	}
	if o.sources, err = applySettings(p.fs, getenv, cf); err != nil {
		return o, err
	}
	if command == "config" {
		return o, nil
	}
	if command == "" && isClassicForm(p.fs.Args()) {
		// The crontab line's own hosts win over the environment and the
		// file, as a flag would.
		o.classic = true
		if err := p.fs.Set("zk", p.fs.Args()[0]); err != nil {
			return o, usageErr("HOSTS %q: %v", p.fs.Args()[0], err)
		}
		o.cfg.NoWait = true
	}
	for _, check := range []func(*options, parsed) error{checkDurations, checkConnection, checkSchedule, checkRun, checkWait, checkPause} {
		if err := check(&o, p); err != nil {
			return o, err
		}
	}
	o.maxAge = p.dur("max-age")
	return o, positional(&o, p)
}

// knownSettings says whether a config file's key is some command's flag:
// a host's file serves every command, each taking the keys it reads. The
// flags are defined once for all the file's keys, not once per key.
func knownSettings() func(key string) bool {
	all := newFlagSet(&options{}, map[string]*time.Duration{}, allGroups)
	return func(key string) bool {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(key, envPrefix)), "_", "-")
		return strings.HasPrefix(key, envPrefix) && all.Lookup(name) != nil && !noEnvTwin[name]
	}
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
