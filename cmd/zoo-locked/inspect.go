package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zoo-locked/zoo-locked/cmd/zoo-locked/exitcode"
	"github.com/zoo-locked/zoo-locked/lock"
)

// Exit codes of status, for monitoring scripts.
const (
	exitHeld = 0
	exitFree = 1
)

// inspect runs `status NAME` or `list` and returns the exit code.
func inspect(o options, out io.Writer) int {
	s, err := lock.Connect(context.Background(), o.cfg.Session)
	if err != nil {
		return exitCode(lock.Result{}, err, exitcode.Busy)
	}
	defer s.Close()
	if o.subcommand == "list" {
		locks, err := lock.List(s.Conn(), o.cfg.Root)
		if err != nil {
			return exitCode(lock.Result{}, err, exitcode.Busy)
		}
		if o.json {
			return printJSON(out, locks)
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tHOLDER\tSINCE\tTOKEN\tWAITING")
		for _, l := range locks {
			holder, since, token := "-", "-", "-"
			if l.Held {
				h := l.Holders[0]
				holder = fmt.Sprintf("%s:%d", h.Holder.Host, h.Holder.Pid)
				since = h.Holder.Start.Format(time.RFC3339)
				token = fmt.Sprint(h.Token)
				if len(l.Holders) > 1 {
					holder += fmt.Sprintf(" (+%d)", len(l.Holders)-1)
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", l.Name, holder, since, token, len(l.Waiters))
		}
		w.Flush()
		return 0
	}
	st, err := lock.Inspect(s.Conn(), o.cfg.Root, o.cfg.Name)
	if err != nil {
		return exitCode(lock.Result{}, err, exitcode.Busy)
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
	for _, h := range st.Holders {
		fmt.Fprintf(out, "  holder    %s\n", describe(h))
	}
	for i, h := range st.Waiters {
		fmt.Fprintf(out, "  waiter %-2d %s\n", i+1, describe(h))
	}
	if r := st.LastRun; r != nil {
		fmt.Fprintf(out, "  last run  host=%s pid=%d start=%s end=%s slot=%s token=%d\n", r.Host, r.Pid,
			r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), r.SlotStart.Format(time.RFC3339), r.Token)
	}
	return code
}

func describe(c lock.Contender) string {
	return fmt.Sprintf("host=%s pid=%d since=%s token=%d command=%q", c.Holder.Host, c.Holder.Pid,
		c.Holder.Start.Format(time.RFC3339), c.Token, strings.Join(c.Holder.Command, " "))
}

func printJSON(out io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return exitcode.Internal
	}
	fmt.Fprintln(out, string(b))
	return 0
}
