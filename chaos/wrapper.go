package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// A user's own lock tool under fire (--wrapper): every node fires a shell
// command line, TEMPLATE, instead of zoo-locked. Its placeholders:
//
//	{zk}   the connect string, through that node's proxies
//	{path} the lock's znode path
//	{name} the lock's name (the path's last element)
//	{job}  the job's command line as one shell word, for a tool that takes
//	       a command string; `sh -c {job}` for one that takes argv
//
// each substituted shell-quoted. The line runs as `sh -c 'exec LINE'`, so
// that the process a fault kills is the tool, not a shell around it. A tool
// that hands its job a fencing token sets ZOOLOCKED_TOKEN for it; the
// witness then judges S2 on it.

// WrapperPlaceholders are the placeholders a template may use.
var WrapperPlaceholders = []string{"{zk}", "{path}", "{name}", "{job}"}

// CheckWrapper says why template cannot run sc, or nil: it must name the
// job, or the tool would run nothing under the lock, and the scenario must
// not rest on zoo-locked's own flags.
func CheckWrapper(sc Scenario, template string) error {
	if !strings.Contains(template, "{job}") {
		return fmt.Errorf("--wrapper %q does not run the job: put {job} where your tool takes its command (sh -c {job} for argv)", template)
	}
	if flags := wrapperOnly(sc); flags != "" {
		return fmt.Errorf("%s runs zoo-locked with %s, which --wrapper cannot carry: pick a scenario without (zoo-chaos list)", sc.Name, flags)
	}
	return nil
}

// expandWrapper fills template's placeholders, each as one quoted word.
func expandWrapper(template, zk, lockPath, name string, job []string) string {
	return strings.NewReplacer(
		"{zk}", shellWord(zk),
		"{path}", shellWord(lockPath),
		"{name}", shellWord(name),
		"{job}", shellWord(shellQuote(job)),
	).Replace(template)
}

// shellWord quotes s as one /bin/sh word.
func shellWord(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// wrapperOnly are the scenario settings a template cannot carry: they are
// zoo-locked's own flags.
func wrapperOnly(sc Scenario) string {
	switch {
	case sc.OncePer > 0:
		return "--once-per"
	case sc.Limit > 1:
		return "--limit"
	case len(sc.WrapperArgs) > 0:
		return strings.Join(sc.WrapperArgs, " ")
	case len(sc.Foreign) > 0:
		return "its mixed fleet"
	case endsSessions(sc):
		return "its end-session fault (it finds the holder's session in ZOOLOCKED_SESSION, which only zoo-locked hands its job)"
	}
	return ""
}

// endsSessions says sc's schedule ends a session from outside.
func endsSessions(sc Scenario) bool {
	if sc.Faults == nil {
		return false
	}
	return slices.ContainsFunc(sc.Faults(rand.New(rand.NewPCG(1, 1)), sc.Duration), func(st faults.Step) bool {
		_, ends := st.Fault.(*faults.EndSession)
		return ends
	})
}
