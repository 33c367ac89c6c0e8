package main

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/cmd/internal/connect"
	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/cmd/zoo-locked/ping"
	"github.com/zoo-locked/zoo-locked/lock"
)

// parsed is a command's flag set after parsing and settling. A command
// reads only its own groups, so a flag it lacks reads as unset.
type parsed struct {
	fs        *pflag.FlagSet
	durations map[string]*time.Duration
	getenv    func(string) string
}

func (p parsed) has(name string) bool { return p.fs.Lookup(name) != nil }

func (p parsed) str(name string) string {
	if f := p.fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func (p parsed) dur(name string) time.Duration {
	if d := p.durations[name]; d != nil {
		return *d
	}
	return 0
}

// given says the user set the flag, on the command line or in the
// environment.
func (p parsed) given(name string) bool {
	f := p.fs.Lookup(name)
	return f != nil && (f.Changed || p.getenv(envName(name)) != "")
}

// checkDurations refuses a negative duration, and a zero one where zero
// means nothing sensible (an optional bound left unset is fine).
func checkDurations(_ *options, p parsed) error {
	for name, d := range p.durations {
		optional := name == "wait-timeout" || name == "max-runtime" || name == "splay" || name == "max-age"
		if name == "slot-offset" {
			continue
		}
		if *d < 0 || (*d == 0 && (!optional || p.given(name))) {
			return usageErr("--%s %v: must be a positive duration such as 30s or 1m30s", name, *d)
		}
	}
	return nil
}

// checkConnection fills the session's settings: servers, root, timeouts,
// credentials, contender naming, and the wrapper's own log.
func checkConnection(o *options, p parsed) error {
	cfg := &o.cfg
	cfg.Session.SessionTimeout = p.dur("session-timeout")
	cfg.Session.ConnectTimeout = p.dur("connect-timeout")
	if err := o.logLevel.UnmarshalText([]byte(p.str("log-level"))); err != nil {
		return usageErr("--log-level %q: want debug, info, warn or error", p.str("log-level"))
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return usageErr("--log-format %q: want text or json", o.logFormat)
	}
	if p.str("zk") == "" {
		return usageErr("no ZooKeeper given: pass --zk host:port[,host:port...] or set %s", envName("zk"))
	}
	cs, err := connect.ParseConnectString(p.str("zk"))
	if err != nil {
		return usageErr("--zk: %s", err)
	}
	root := p.str("root")
	if err := lock.ValidateRoot(root); err != nil {
		return err
	}
	if path := p.str("auth-file"); path != "" {
		if cfg.Session.Auth, err = connect.ReadAuthFile(path); err != nil {
			return usageErr("--auth-file: %s", err)
		}
	}
	tlsFiles := connect.TLSFiles{CA: p.str("tls-ca"), Cert: p.str("tls-cert"), Key: p.str("tls-key")}
	if tlsFiles != (connect.TLSFiles{}) {
		if cfg.Session.TLS, err = tlsFiles.Config(); err != nil {
			return usageErr("--tls-ca/--tls-cert/--tls-key: %s", err)
		}
		cfg.TLSFiles = tlsFiles
	}
	cfg.Session.Servers = cs.Servers
	cfg.Root = cs.Chroot + root
	o.chroot = cs.Chroot
	for _, pattern := range cfg.Contenders.Extra {
		if err := lock.ValidateContenderPattern(pattern); err != nil {
			return usageErr("--contender-pattern: %s", err)
		}
	}
	if cfg.ContenderStyle, err = lock.ParseContenderStyle(p.str("contender-style")); err != nil {
		return usageErr("--contender-style: %s", err)
	}
	return nil
}

// checkSchedule reads --once-per and what rests on it.
func checkSchedule(o *options, p parsed) error {
	if !p.has("once-per") {
		return nil
	}
	var err error
	if o.cfg.OncePer, err = parseOncePer(p.str("once-per"), p.dur("slot-offset")); err != nil {
		return err
	}
	if p.given("max-attempts") || o.cfg.MaxAttempts != 0 {
		switch {
		case o.cfg.MaxAttempts < 1 || o.cfg.MaxAttempts > fleet.LedgerSize:
			return usageErr("--max-attempts %d: must be 1 to %d (the ledger keeps the last %d runs)", o.cfg.MaxAttempts, fleet.LedgerSize, fleet.LedgerSize)
		case o.cfg.OncePer == nil:
			return usageErr("--max-attempts counts the failed runs of a slot: it needs --once-per")
		}
	}
	return nil
}

// checkRun reads what a run alone takes: the job's bounds, the reports
// outside ZooKeeper, the semaphore.
func checkRun(o *options, p parsed) error {
	if !p.has("kill-grace") {
		return nil
	}
	cfg := &o.cfg
	cfg.Session.KillGrace = p.dur("kill-grace")
	cfg.MaxRuntime = p.dur("max-runtime")
	o.splay = p.dur("splay")
	if cfg.Session.KillGrace >= cfg.Session.SessionTimeout/2 {
		return usageErr("--kill-grace %v must be under half the --session-timeout %v", cfg.Session.KillGrace, cfg.Session.SessionTimeout)
	}
	if o.pingURL != "" {
		if _, err := ping.New(o.pingURL, nil); err != nil {
			return usageErr("--ping-url: %v", err)
		}
	}
	if o.pingBodyLimit < 0 {
		return usageErr("--ping-body-limit %d: must be 0 or more bytes", o.pingBodyLimit)
	}
	if o.metricsFile != "" {
		if info, err := os.Stat(filepath.Dir(o.metricsFile)); err != nil || !info.IsDir() {
			return usageErr("--metrics-file %s: its directory must exist (node_exporter's --collector.textfile.directory)", o.metricsFile)
		}
	}
	if cfg.Limit < 1 {
		return usageErr("--limit %d: at least 1", cfg.Limit)
	}
	return nil
}

// checkWait reads how long to wait for the lock and what to say when it
// stays busy.
func checkWait(o *options, p parsed) error {
	if !p.has("wait-timeout") {
		return nil
	}
	o.cfg.WaitTimeout = p.dur("wait-timeout")
	if o.classic && o.cfg.WaitTimeout > 0 {
		return usageErr("--wait-timeout does not apply to the form HOSTS PATH 'COMMAND', which tries once; use NAME -- COMMAND to wait")
	}
	if o.cfg.NoWait && o.cfg.WaitTimeout > 0 {
		return usageErr("--no-wait and --wait-timeout exclude each other")
	}
	if o.busyExitCode < 0 || o.busyExitCode > 255 {
		return usageErr("--busy-exit-code %d: must be 0-255", o.busyExitCode)
	}
	return nil
}

func checkPause(o *options, p parsed) error {
	if o.pauseFor < 0 || (o.pauseFor == 0 && p.fs.Changed("for")) {
		return usageErr("--for %v: must be a positive duration such as 30m or 2h (leave it out to pause until resume)", o.pauseFor)
	}
	return nil
}

// positional reads what follows the flags: nothing for list, one lock
// NAME for the other commands, NAME -- COMMAND for a run, or the replaced
// tool's HOSTS PATH 'COMMAND'.
func positional(o *options, p parsed) error {
	rest, cfg := p.fs.Args(), &o.cfg
	if o.classic {
		return classicCommand(o, o.chroot, rest[1], rest[2])
	}
	switch o.subcommand {
	case "list":
		if len(rest) != 0 {
			return usageErr("list takes no arguments, got %q", rest)
		}
		return nil
	case "status", "reset", "check", "pause", "resume", "stop":
		if len(rest) != 1 {
			return usageErr("%s takes one lock NAME: zoo-locked [flags] %s NAME", o.subcommand, o.subcommand)
		}
		cfg.Name = rest[0]
		return lock.ValidateName(cfg.Name)
	}
	if len(rest) == 0 {
		return usageErr("missing lock NAME and COMMAND: zoo-locked [flags] NAME -- COMMAND [ARGS...]")
	}
	cfg.Name, rest = rest[0], rest[1:]
	if err := lock.ValidateName(cfg.Name); err != nil {
		return err
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return usageErr("missing COMMAND after lock name %q: zoo-locked [flags] NAME -- COMMAND [ARGS...]", cfg.Name)
	}
	if o.shell {
		rest = []string{"/bin/sh", "-c", strings.Join(rest, " ")}
	}
	cfg.Command = rest
	return nil
}
