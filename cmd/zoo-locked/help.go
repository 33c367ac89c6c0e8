package main

import (
	"io"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/manual"
)

// page is zoo-locked's manual: --help and zoo-locked(1) are both written
// from it.
func page() manual.Page {
	var groups []manual.FlagGroup
	for _, g := range allGroups {
		fs := newFlagSet(&options{}, map[string]*time.Duration{}, []flagGroup{g})
		groups = append(groups, manual.FlagGroup{Title: g.title, Flags: manual.FlagsOf(fs, func(name string) string {
			if noEnvTwin[name] {
				return ""
			}
			return envName(name)
		})})
	}
	return manual.Page{
		Name:    "zoo-locked",
		Summary: "run a command under a ZooKeeper lock, on one node of a fleet at a time",
		Synopsis: []manual.Usage{
			{Form: "[flags] NAME -- COMMAND [ARGS...]"},
			{Form: "[flags] HOSTS PATH 'COMMAND'", What: "the replaced C tool's form: lock PATH (absolute), try once, COMMAND through /bin/sh -c; busy prints LOCKED by <znode> and exits 0"},
			{Form: "[flags] status NAME", What: "who holds NAME, who waits, its last runs"},
			{Form: "[flags] list", What: "every lock under --root"},
			{Form: "[flags] reset NAME", What: "delete NAME's --once-per record (refused while held)"},
			{Form: "[flags] check NAME", What: "did the last slot that ended (or --max-age DUR) have a successful run?"},
			{Form: "[flags] pause NAME [--for DUR] [--reason TEXT] [--stop]", What: "every firing of NAME, on every node, skips until resume (or for DUR)"},
			{Form: "[flags] resume NAME", What: "end NAME's pause"},
			{Form: "[flags] stop NAME", What: "stop NAME's running job wherever it runs; returns once its tree is dead and the lock released"},
			{Form: "[flags] config", What: "each setting in effect, and where it came from"},
		},
		Description: []string{
			"Runs COMMAND only while holding the ZooKeeper lock NAME, so that of all the nodes whose cron fires the same job, one runs it at a time. " +
				"The job gets SIGTERM, then SIGKILL, before ZooKeeper can give the lock to anyone else if this node loses the ensemble; " +
				"it gets ZOOLOCKED_NAME, ZOOLOCKED_TOKEN (a fencing token greater than every earlier holder's), ZOOLOCKED_ZNODE, " +
				"ZOOLOCKED_SESSION and ZOOLOCKED_RUN_ID in its environment.",
			"The lock is the znode --root/NAME; its contenders are its only children, so the ZooKeeper lock recipes of Curator, kazoo " +
				"(with extra_lock_patterns=(\"-lock-\",)) and ZooKeeper's C client queue with zoo-locked on the same path, and zoo-locked queues behind theirs. " +
				"Its run ledger and --once-per record live beside it, in NAME~.",
			"Every flag can also be set by its environment variable, or by the same KEY=value line in the config file " +
				"(/etc/zoo-locked.conf, or the file ZOOLOCKED_CONFIG names): a flag wins over the environment, the environment over the file, " +
				"the file over the default.",
		},
		Flags: groups,
		Sections: []manual.Section{
			{Title: "Durations", Paragraphs: []string{"Durations are Go durations: 500ms, 30s, 1m30s."}},
			{Title: "Exit codes", Table: [][2]string{
				{"N", "the command exited with N"},
				{"128+n", "the command was killed by signal n (or a signal ended the wait for the lock)"},
				{"127/126", "the command was not found / is not executable"},
				{"64", "bad flags, arguments or config file"},
				{"69", "ZooKeeper unreachable within --connect-timeout, or older than 3.4"},
				{"70", "internal error"},
				{"75", "lock busy (--no-wait) or --wait-timeout passed (see --busy-exit-code)"},
				{"77", "pause, resume or stop refused by the lock's ACL (another --auth-file identity made it)"},
				{"79", "lock lost while the command ran: it was killed (fenced)"},
				{"80", "zoo-locked stop stopped the command"},
				{"81", "this host's clock and the ensemble's disagree by more than 5 s and the firing (--once-per, timed pause) needed time: nothing ran"},
			}, Paragraphs: []string{
				"status exits 0 when the lock is held, 1 when it is free; list and config exit 0; reset exits 0, or 75 while the lock is held; " +
					"all exit 64, 69 or 70 on errors as above. Their flags may come before or after the subcommand.",
				"pause and resume exit 0; stop exits 0 once every run it stopped has released the lock (or none ran), 75 when --wait-timeout passed first " +
					"or another recipe holds the lock; all three exit 64 for a lock that does not exist and 77 when the lock's ACL refuses them.",
				"check exits 0 (OK) when the last slot that has ended had a successful run, on any node (the schedule is --once-per, " +
					"else the lock's record's); 1 (WARNING) when it had none: missed, failed, fenced or lost, the line says which and on which node; " +
					"3 (UNKNOWN) when it cannot tell (no schedule, ZooKeeper unreachable, a run still going); 0 (OK) while paused. " +
					"With --max-age DUR, a successful run must have started within DUR.",
			}},
			{Title: "Files", Table: [][2]string{
				{"/etc/zoo-locked.conf", "KEY=value lines (ZOOLOCKED_ZK=zk1:2181,zk2:2181): the host's settings; refused when anyone but its owner or root may write it"},
			}},
		},
	}
}

// printHelp writes --help.
func printHelp(w io.Writer) { page().Help(w) }

// printMan writes zoo-locked(1).
func printMan(w io.Writer) { page().Roff(w, version) }
