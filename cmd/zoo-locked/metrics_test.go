package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// readMetrics parses the file as node_exporter would.
func readMetrics(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file does not parse: %v", err)
	}
	return fams
}

func sample(fams map[string]*dto.MetricFamily, name, lock, outcome string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["lock"] == lock && labels["outcome"] == outcome {
			if m.Gauge != nil {
				return m.Gauge.GetValue(), true
			}
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsFile: after a run, a skip and a failure the file parses with
// Prometheus's text parser, counts each outcome, and its timestamps and
// exit status are the run's.
func TestMetricsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoo_locked.prom")
	before := time.Now()
	ok := startWrapper(t, "metrics", nil, "--once-per", "1h", "--metrics-file", path, "metered", "--", "sleep", "0.2")
	if code := ok.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, ok.stderr)
	}
	after := time.Now()
	fams := readMetrics(t, path)
	start, _ := sample(fams, "zoo_locked_last_start_timestamp_seconds", "metered", "")
	success, _ := sample(fams, "zoo_locked_last_success_timestamp_seconds", "metered", "")
	duration, _ := sample(fams, "zoo_locked_last_duration_seconds", "metered", "")
	if start < float64(before.Unix()) || success > float64(after.Unix()+1) || duration < 0.2 || duration > 2 {
		t.Fatalf("start %v, success %v, duration %v: not the run's (between %v and %v)", start, success, duration, before, after)
	}
	skip := startWrapper(t, "metrics", nil, "--once-per", "1h", "--metrics-file", path, "metered", "--", "true")
	skip.wait(t, 10*time.Second)
	fail := startWrapper(t, "metrics", nil, "--metrics-file", path, "metered-fail", "--", "sh", "-c", "exit 4")
	if code := fail.wait(t, 10*time.Second); code != 4 {
		t.Fatalf("exit %d", code)
	}
	fams = readMetrics(t, path)
	for _, tc := range []struct {
		lock, outcome string
		want          float64
	}{{"metered", "ran", 1}, {"metered", "skipped-done", 1}, {"metered", "failed", 0}, {"metered-fail", "failed", 1}} {
		if got, ok := sample(fams, "zoo_locked_firings_total", tc.lock, tc.outcome); !ok || got != tc.want {
			t.Errorf("firings_total{lock=%q,outcome=%q} = %v (present %v), want %v", tc.lock, tc.outcome, got, ok, tc.want)
		}
	}
	if exit, _ := sample(fams, "zoo_locked_last_exit_status", "metered-fail", ""); exit != 4 {
		t.Errorf("last exit status %v, want 4", exit)
	}
	if _, ok := sample(fams, "zoo_locked_last_success_timestamp_seconds", "metered-fail", ""); ok {
		t.Error("a failed run set the last success")
	}
}
