package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/internal/fleet"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// Exit codes of status, for monitoring scripts.
const (
	exitHeld = 0
	exitFree = 1
)

// inspect runs `status NAME`, `list` or `reset NAME` and returns the exit
// code.
func inspect(o options, out io.Writer) int {
	s, err := lock.Connect(context.Background(), o.cfg.Session)
	if err != nil {
		return exitCode(fleet.Result{}, err, exitcode.Busy)
	}
	defer s.Close()
	switch o.subcommand {
	case "list":
		return list(o, s, out)
	case "reset":
		res, err := fleet.Reset(s.Conn(), o.cfg.Root, o.cfg.Name, o.cfg.Contenders, operator(o))
		if err != nil {
			fmt.Fprintf(os.Stderr, "zoo-locked: reset: %v\n", err)
			return exitCode(fleet.Result{}, err, exitcode.Busy)
		}
		fmt.Fprintln(out, describeReset(o.cfg.Name, res))
		return 0
	}
	st, err := fleet.Inspect(s.Conn(), o.cfg.Root, o.cfg.Name, o.cfg.Contenders)
	if err != nil {
		return exitCode(fleet.Result{}, err, exitcode.Busy)
	}
	code := exitFree
	if st.Held {
		code = exitHeld
	}
	if o.json {
		printJSON(out, st)
		return code
	}
	if st.Held {
		fmt.Fprintf(out, "%s: held\n", st.Name)
	} else {
		fmt.Fprintf(out, "%s: free\n", st.Name)
	}
	if p := st.Paused; p != nil {
		fmt.Fprintf(out, "  paused    by %s since %s, %s%s\n", p.By, p.Since.Format(time.RFC3339), "until "+p.EndsAt(), reasonText(p.Reason))
	}
	for _, h := range st.Holders {
		fmt.Fprintf(out, "  holder    %s\n", describe(h))
	}
	for i, h := range st.Waiters {
		fmt.Fprintf(out, "  waiter %-2d %s\n", i+1, describe(h))
	}
	if r := st.LastRun; r != nil {
		fmt.Fprintf(out, "  last run  host=%s pid=%d start=%s end=%s slot=%s schedule=%q token=%d\n", r.Host, r.Pid,
			r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), r.SlotStart.Format(time.RFC3339), r.Schedule, r.Token)
	}
	// The last few runs; --json has them all.
	runs := st.Runs[max(0, len(st.Runs)-5):]
	for i := len(runs) - 1; i >= 0; i-- {
		fmt.Fprintf(out, "  run       %s\n", describeRun(runs[i]))
	}
	for _, u := range st.Unreadable {
		fmt.Fprintf(out, "  unreadable %s (zoo-locked reset %s clears a record)\n", u, st.Name)
	}
	return code
}

func describeReset(name string, res fleet.ResetResult) string {
	var done []string
	if res.RecordDeleted {
		done = append(done, "record deleted")
	}
	if n := res.AttemptsForgiven; n > 0 {
		done = append(done, fmt.Sprintf("%d failed attempts no longer count against --max-attempts", n))
	}
	if len(done) == 0 {
		return name + ": no record to delete and no failed attempts to forgive"
	}
	return name + ": " + strings.Join(done, "; ") + "; its next firing runs"
}

func list(o options, s *lock.Session, out io.Writer) int {
	locks, err := fleet.List(s.Conn(), o.cfg.Root, o.cfg.Contenders)
	if err != nil {
		return exitCode(fleet.Result{}, err, exitcode.Busy)
	}
	if o.json {
		return printJSON(out, locks)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tHOLDER\tSINCE\tTOKEN\tWAITING\tNOTE")
	for _, l := range locks {
		holder, since, token := "-", "-", "-"
		if l.Held {
			h := l.Holders[0]
			holder = fmt.Sprintf("%s:%d", h.Holder.Host, h.Holder.Pid)
			since = h.Holder.Start.Format(time.RFC3339)
			if h.Foreign {
				holder, since = h.Recipe, "-"
			}
			token = fmt.Sprint(h.Token)
			if len(l.Holders) > 1 {
				holder += fmt.Sprintf(" (+%d)", len(l.Holders)-1)
			}
		}
		var notes []string
		if p := l.Paused; p != nil {
			notes = append(notes, "paused by "+p.By+" "+"until "+p.EndsAt())
		}
		if len(l.Unreadable) > 0 {
			notes = append(notes, "unreadable: "+strings.Join(l.Unreadable, "; "))
		}
		note := "-"
		if len(notes) > 0 {
			note = strings.Join(notes, "; ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", l.Name, holder, since, token, len(l.Waiters), note)
	}
	w.Flush()
	return 0
}

func describe(c fleet.Contender) string {
	if c.Foreign {
		return fmt.Sprintf("%s (not zoo-locked): znode=%s token=%d", c.Recipe, c.Znode, c.Token)
	}
	return fmt.Sprintf("host=%s pid=%d since=%s token=%d command=%q", c.Holder.Host, c.Holder.Pid,
		c.Holder.Start.Format(time.RFC3339), c.Token, strings.Join(c.Holder.Command, " "))
}

func describeRun(r fleet.RunEntry) string {
	line := fmt.Sprintf("%-7s host=%s pid=%d start=%s", r.State, r.Host, r.Pid, r.Start.Format(time.RFC3339))
	if r.End != nil {
		line += fmt.Sprintf(" took=%v", r.End.Sub(r.Start).Round(time.Millisecond))
	}
	if r.Exit != nil {
		line += fmt.Sprintf(" exit=%d", *r.Exit)
	}
	if r.Reason != "" {
		line += fmt.Sprintf(" reason=%q", r.Reason)
	}
	return line + fmt.Sprintf(" token=%d", r.Token)
}

func printJSON(out io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return exitcode.Internal
	}
	fmt.Fprintln(out, string(b))
	return 0
}
