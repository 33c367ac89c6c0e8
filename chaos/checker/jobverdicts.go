package checker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Verdicts that matter for a user's own job (History.Command): how it
// takes being stopped, and how it fails under faults. Both are reported,
// not required: the wrapper's guarantees hold either way, and these say
// what the job's authors may want to change.

// checkGracefulStop counts, of the runs told to stop (fenced, or stopped
// at the scenario's end), those that exited on SIGTERM within the kill
// grace and those the SIGKILL after it took.
func checkGracefulStop(h *History) Verdict {
	graceful, killed := 0, 0
	for _, iv := range h.Intervals {
		if iv.TermAt == 0 {
			continue
		}
		if iv.Exit != nil && iv.End-iv.TermAt <= h.KillGrace+200*time.Millisecond {
			graceful++
		} else {
			killed++
		}
	}
	v := Verdict{Name: "graceful", Title: "stops on SIGTERM", Pass: killed == 0,
		Detail: fmt.Sprintf("of %d runs told to stop, %d exited on SIGTERM within the %v kill grace, %d needed SIGKILL", graceful+killed, graceful, h.KillGrace, killed)}
	if killed > 0 && graceful == 0 {
		v.Detail += "; always: the job ignores SIGTERM or takes longer than the grace to exit — trap TERM and exit promptly, or raise --kill-grace"
	}
	return v
}

// checkJobFailures lists the job's own failures (exit statuses other than
// 0, on runs nobody told to stop), each with the fault windows it fell in.
func checkJobFailures(h *History) Verdict {
	var failures []string
	for _, iv := range h.Intervals {
		if iv.Exit == nil || *iv.Exit == 0 || iv.TermAt != 0 {
			continue
		}
		during := "no fault"
		var names []string
		for _, f := range h.Faults {
			if f.EffectFrom() <= iv.End && iv.Start <= f.End {
				names = append(names, f.Name)
			}
		}
		if len(names) > 0 {
			during = "during " + strings.Join(names, ", ")
		}
		failures = append(failures, fmt.Sprintf("exit %d on %s at %v (%s)", *iv.Exit, iv.Node, iv.End.Round(time.Millisecond), during))
	}
	detail := "no run of the job failed"
	if len(failures) > 0 {
		detail = strings.Join(failures, "; ")
	}
	return Verdict{Name: "failures", Title: "job failures under faults", Pass: len(failures) == 0, Detail: detail}
}

// CheckInvariant runs the user's own check once after the trial, with the
// history's JSON in $ZOOCHAOS_HISTORY, and adds its exit status to rep as
// a required verdict ("one invoice per customer per slot", checked
// against the user's test database).
func CheckInvariant(ctx context.Context, argv []string, historyPath string, rep *Report) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "ZOOCHAOS_HISTORY="+historyPath)
	out, err := cmd.CombinedOutput()
	v := Verdict{Name: "invariant", Title: "the user's check", Required: true, Pass: err == nil}
	last := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	switch {
	case err == nil:
		v.Detail = fmt.Sprintf("%s passed", strings.Join(argv, " "))
	default:
		v.Detail = fmt.Sprintf("%s: %v", strings.Join(argv, " "), err)
	}
	if last != "" {
		v.Detail += ": " + last
	}
	rep.Verdicts = append(rep.Verdicts, v)
	rep.Pass = rep.Pass && v.Pass
}
