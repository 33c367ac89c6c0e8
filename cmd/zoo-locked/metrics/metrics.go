// Package metrics writes a node's zoo-locked metrics in node_exporter's
// textfile-collector format after every firing: the last start, end and
// success, the last duration and exit status, how long the lock took, and
// firings counted by outcome — including the firings that did not run,
// which zoo-locked does not write to ZooKeeper. Every series is labelled
// by lock, so one file serves every lock of the node:
//
//	max by (lock) (zoo_locked_last_success_timestamp_seconds)
//
// across the fleet is when each job last succeeded anywhere.
//
// The file is written and read back in the text exposition format by this
// package alone: the format is a few lines of text, and the library that
// writes it brings a protobuf registry whose start-up every cron firing
// would pay. The tests parse every file with Prometheus's own parser.
package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Outcomes a firing is counted under.
const (
	Ran         = "ran"          // the job ran and exited 0
	Failed      = "failed"       // the job ran and failed
	Fenced      = "fenced"       // the lock was lost and the job killed
	SkippedBusy = "skipped-busy" // --no-wait found the lock held, or the wait timed out
	SkippedDone = "skipped-done" // --once-per: the slot already ran
	// SkippedGaveUp: --max-attempts runs of the slot failed already.
	SkippedGaveUp = "skipped-gave-up"
	// SkippedClock: the clocks disagreed beyond the bound (exit 81).
	SkippedClock  = "skipped-clock"
	SkippedPaused = "skipped-paused" // `zoo-locked pause` is in effect
	Stopped       = "stopped"        // `zoo-locked stop` stopped the job
	Error         = "error"          // the wrapper could not run it (ZooKeeper unreachable, …)
)

// Outcomes lists them, in the order the file shows them.
var Outcomes = []string{Ran, Failed, Fenced, Stopped, SkippedBusy, SkippedDone, SkippedGaveUp, SkippedPaused, SkippedClock, Error}

// Firing is one firing of a lock's job on this node.
type Firing struct {
	Lock    string
	Outcome string
	// For a firing that ran the job:
	Ran        bool
	Start, End time.Time
	Exit       int
	// Waited is how long the lock took (0 when it was not taken).
	Waited time.Duration
}

// Metric names.
const (
	lastStart    = "zoo_locked_last_start_timestamp_seconds"
	lastEnd      = "zoo_locked_last_end_timestamp_seconds"
	lastSuccess  = "zoo_locked_last_success_timestamp_seconds"
	lastDuration = "zoo_locked_last_duration_seconds"
	lastExit     = "zoo_locked_last_exit_status"
	lockWait     = "zoo_locked_lock_wait_seconds"
	firings      = "zoo_locked_firings_total"
)

// types are the families the file holds, with their types.
var types = map[string]string{
	lastStart: "gauge", lastEnd: "gauge", lastSuccess: "gauge", lastDuration: "gauge",
	lastExit: "gauge", lockWait: "gauge", firings: "counter",
}

var help = map[string]string{
	lastStart:    "When the job last started on this node (Unix seconds).",
	lastEnd:      "When the job last ended on this node (Unix seconds).",
	lastSuccess:  "When the job last ended with status 0 on this node (Unix seconds).",
	lastDuration: "How long the job's last run on this node took.",
	lastExit:     "Exit status of the job's last run on this node (128+n: killed by signal n).",
	lockWait:     "How long the last firing on this node waited for the lock.",
	firings:      "Firings of the job on this node, by outcome.",
}

// series is one sample's identity: its family and labels.
type series struct {
	name, lock, outcome string
}

// Record adds f to the file at path: it reads what the file holds (other
// locks' series, this lock's counters), updates this lock's series, and
// replaces the file atomically (a temporary file in the same directory,
// then a rename), under an flock so that two wrappers of one node do not
// lose each other's counts.
func Record(path string, f Firing) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	samples, err := read(path)
	if err != nil {
		return err
	}
	update(samples, f)
	return write(path, samples)
}

func lockFile(path string) (func(), error) {
	fd, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics lock: %w", err)
	}
	if err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX); err != nil {
		fd.Close()
		return nil, fmt.Errorf("metrics lock: %w", err)
	}
	return func() { fd.Close() }, nil // closing releases the flock
}

func read(path string) (map[series]float64, error) {
	samples := map[series]float64{}
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return samples, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metrics file: %w", err)
	}
	defer file.Close()
	lines := bufio.NewScanner(file)
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, v, err := parseSample(line)
		if err != nil {
			// A file we cannot parse is not ours to keep counting on.
			return nil, fmt.Errorf("metrics file %s line %d: %v (remove it to start the counts afresh)", path, n, err)
		}
		samples[s] = v
	}
	return samples, lines.Err()
}

// parseSample reads one line as this package writes it:
// name{lock="…"[,outcome="…"]} value.
func parseSample(line string) (series, float64, error) {
	var s series
	name, rest, ok := strings.Cut(line, "{")
	if _, known := types[name]; !ok || !known {
		return s, 0, fmt.Errorf("not a zoo-locked sample: %.60q", line)
	}
	s.name = name
	for {
		key, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return s, 0, fmt.Errorf("malformed labels: %.60q", line)
		}
		value, tail, err := unquote(after)
		if err != nil {
			return s, 0, err
		}
		switch key {
		case "lock":
			s.lock = value
		case "outcome":
			s.outcome = value
		default:
			return s, 0, fmt.Errorf("unknown label %q", key)
		}
		if rest, ok = strings.CutPrefix(tail, ","); !ok {
			rest = tail
			break
		}
	}
	rest, ok = strings.CutPrefix(rest, "} ")
	if !ok {
		return s, 0, fmt.Errorf("malformed sample: %.60q", line)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
	return s, v, err
}

// unquote reads a label value up to its closing quote, undoing the
// format's escapes (\\, \", \n); tail is what follows the quote.
func unquote(s string) (value, tail string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated label value %.60q", s)
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func update(samples map[series]float64, f Firing) {
	gauge := func(name string, v float64) { samples[series{name: name, lock: f.Lock}] = v }
	if f.Ran {
		gauge(lastStart, seconds(f.Start))
		gauge(lastEnd, seconds(f.End))
		gauge(lastDuration, f.End.Sub(f.Start).Seconds())
		gauge(lastExit, float64(f.Exit))
		if f.Outcome == Ran {
			gauge(lastSuccess, seconds(f.End))
		}
	}
	gauge(lockWait, f.Waited.Seconds())
	for _, o := range Outcomes {
		s := series{name: firings, lock: f.Lock, outcome: o}
		samples[s] += 0 // every outcome is shown, so a rate over it starts at 0
		if o == f.Outcome {
			samples[s]++
		}
	}
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func write(path string, samples map[series]float64) error {
	keys := slices.SortedFunc(func(yield func(series) bool) {
		for s := range samples {
			if !yield(s) {
				return
			}
		}
	}, func(a, b series) int {
		return strings.Compare(a.name+"\x00"+a.lock+"\x00"+a.outcome, b.name+"\x00"+b.lock+"\x00"+b.outcome)
	})
	var b strings.Builder
	for i, s := range keys {
		if i == 0 || keys[i-1].name != s.name {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", s.name, help[s.name], s.name, types[s.name])
		}
		fmt.Fprintf(&b, "%s{lock=\"%s\"", s.name, escaper.Replace(s.lock))
		if s.outcome != "" {
			fmt.Fprintf(&b, ",outcome=\"%s\"", escaper.Replace(s.outcome))
		}
		fmt.Fprintf(&b, "} %s\n", strconv.FormatFloat(samples[s], 'g', -1, 64))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("metrics file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone already after the rename
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("metrics file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
