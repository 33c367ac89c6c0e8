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
package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// Outcomes a firing is counted under.
const (
	Ran         = "ran"          // the job ran and exited 0
	Failed      = "failed"       // the job ran and failed
	Fenced      = "fenced"       // the lock was lost and the job killed
	SkippedBusy = "skipped-busy" // --no-wait found the lock held, or the wait timed out
	SkippedDone = "skipped-done" // --once-per: the slot already ran
	Error       = "error"        // the wrapper could not run it (ZooKeeper unreachable, …)
)

// Outcomes lists them, in the order the file shows them.
var Outcomes = []string{Ran, Failed, Fenced, SkippedBusy, SkippedDone, Error}

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

var help = map[string]string{
	lastStart:    "When the job last started on this node (Unix seconds).",
	lastEnd:      "When the job last ended on this node (Unix seconds).",
	lastSuccess:  "When the job last ended with status 0 on this node (Unix seconds).",
	lastDuration: "How long the job's last run on this node took.",
	lastExit:     "Exit status of the job's last run on this node (128+n: killed by signal n).",
	lockWait:     "How long the last firing on this node waited for the lock.",
	firings:      "Firings of the job on this node, by outcome.",
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
	families, err := read(path)
	if err != nil {
		return err
	}
	update(families, f)
	return write(path, families)
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

func read(path string) (map[string]*dto.MetricFamily, error) {
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*dto.MetricFamily{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metrics file: %w", err)
	}
	defer file.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(file)
	if err != nil {
		// A file we cannot parse is not ours to keep counting on.
		return nil, fmt.Errorf("metrics file %s: %w (remove it to start the counts afresh)", path, err)
	}
	return families, nil
}

func update(families map[string]*dto.MetricFamily, f Firing) {
	gauge := func(name string, v float64) { set(families, name, dto.MetricType_GAUGE, f.Lock, "", v) }
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
		m := set(families, firings, dto.MetricType_COUNTER, f.Lock, o, 0)
		if o == f.Outcome {
			m.Counter.Value = proto.Float64(m.Counter.GetValue() + 1)
		}
	}
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// set finds or makes the series of lock (and outcome) in family name; a
// gauge gets v, a counter is returned for the caller to add to.
func set(families map[string]*dto.MetricFamily, name string, typ dto.MetricType, lock, outcome string, v float64) *dto.Metric {
	fam, ok := families[name]
	if !ok {
		fam = &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help[name]), Type: typ.Enum()}
		families[name] = fam
	}
	labels := []*dto.LabelPair{{Name: proto.String("lock"), Value: proto.String(lock)}}
	if outcome != "" {
		labels = append(labels, &dto.LabelPair{Name: proto.String("outcome"), Value: proto.String(outcome)})
	}
	for _, m := range fam.Metric {
		if sameLabels(m.Label, labels) {
			if typ == dto.MetricType_GAUGE {
				m.Gauge = &dto.Gauge{Value: proto.Float64(v)}
			}
			return m
		}
	}
	m := &dto.Metric{Label: labels}
	if typ == dto.MetricType_GAUGE {
		m.Gauge = &dto.Gauge{Value: proto.Float64(v)}
	} else {
		m.Counter = &dto.Counter{Value: proto.Float64(v)}
	}
	fam.Metric = append(fam.Metric, m)
	return m
}

func sameLabels(a, b []*dto.LabelPair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].GetName() != b[i].GetName() || a[i].GetValue() != b[i].GetValue() {
			return false
		}
	}
	return true
}

func write(path string, families map[string]*dto.MetricFamily) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("metrics file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone already after the rename
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := expfmt.MetricFamilyToText(tmp, families[n]); err != nil {
			tmp.Close()
			return fmt.Errorf("metrics file: %w", err)
		}
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
