package metrics

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestFileParsesAsPrometheusReadsIt: what Record writes is read back by
// Prometheus's own text parser, label escapes included, and counts add up
// across firings and locks.
func TestFileParsesAsPrometheusReadsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoo_locked.prom")
	start := time.Unix(1_700_000_000, 0)
	odd := `in"voice\s`
	for _, f := range []Firing{
		{Lock: "invoices", Outcome: Ran, Ran: true, Start: start, End: start.Add(1500 * time.Millisecond), Waited: 20 * time.Millisecond},
		{Lock: "invoices", Outcome: SkippedBusy},
		{Lock: odd, Outcome: Failed, Ran: true, Start: start, End: start.Add(time.Second), Exit: 4},
		{Lock: "invoices", Outcome: Ran, Ran: true, Start: start.Add(time.Hour), End: start.Add(time.Hour + time.Second)},
	} {
		if err := Record(path, f); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(file)
	if err != nil {
		t.Fatalf("Prometheus cannot parse the file: %v", err)
	}
	value := func(name, lock, outcome string) float64 {
		t.Helper()
		for _, m := range fams[name].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["lock"] == lock && labels["outcome"] == outcome {
				if m.Gauge != nil {
					return m.Gauge.GetValue()
				}
				return m.Counter.GetValue()
			}
		}
		t.Fatalf("no %s{lock=%q,outcome=%q}", name, lock, outcome)
		return 0
	}
	for _, tc := range []struct {
		name, lock, outcome string
		want                float64
	}{
		{firings, "invoices", Ran, 2},
		{firings, "invoices", SkippedBusy, 1},
		{firings, "invoices", Fenced, 0},
		{firings, odd, Failed, 1},
		{lastExit, odd, "", 4},
		{lastSuccess, "invoices", "", float64(start.Add(time.Hour + time.Second).Unix())},
		{lastDuration, "invoices", "", 1},
	} {
		if got := value(tc.name, tc.lock, tc.outcome); got != tc.want {
			t.Errorf("%s{lock=%q,outcome=%q} = %v, want %v", tc.name, tc.lock, tc.outcome, got, tc.want)
		}
	}
	if fams[firings].GetType().String() != "COUNTER" || fams[lastExit].GetType().String() != "GAUGE" {
		t.Errorf("types: %v, %v", fams[firings].GetType(), fams[lastExit].GetType())
	}
}

func TestForeignFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.prom")
	if err := os.WriteFile(path, []byte("node_load1 0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Record(path, Firing{Lock: "x", Outcome: Ran}); err == nil {
		t.Fatal("a file of other metrics was overwritten")
	}
}
