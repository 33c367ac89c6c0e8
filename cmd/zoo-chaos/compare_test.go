package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/report"
)

// TestCompareTable: zoo-chaos compare over holder-sigkill, for zoo-locked
// and ZooKeeper's C recipe from docs/examples/peers, built as the Makefile
// builds it. Exit 0 with one row per tool in the JSON, the Markdown and
// the terminal table; zoo-locked passes, while the C recipe's killed
// wrapper leaves its job running (S3) and its lock to a second job.
func TestCompareTable(t *testing.T) {
	_, zooChaos := chaostest.Binaries(t)
	dir := t.TempDir()
	cLock := filepath.Join(dir, "c-lock")
	if out, err := exec.Command("gcc", "-O2", "-o", cLock, "../../docs/examples/peers/c-lock.c", "-lzookeeper_mt").CombinedOutput(); err != nil {
		t.Fatalf("build the C peer (needs gcc and libzookeeper-mt-dev: make deps): %v\n%s", err, out)
	}
	reportDir := filepath.Join(dir, "report")
	cmd := exec.Command(zooChaos, "compare", "--scenarios", "holder-sigkill", "--report", reportDir,
		"--tool", "c-recipe="+cLock+" {zk} {path} {job}")
	cmd.Stderr = chaostest.Log(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zoo-chaos compare: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(reportDir, report.CompareJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var c report.Comparison
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 2 || c.Rows[0].Tool != "zoo-locked" || c.Rows[1].Tool != "c-recipe" {
		t.Fatalf("rows %+v, want zoo-locked then c-recipe", c.Rows)
	}
	zl, cRecipe := c.Rows[0], c.Rows[1]
	if !zl.Pass || zl.JobsCompleted == 0 || zl.StaleAccepted == nil {
		t.Errorf("zoo-locked's row: %+v", zl)
	}
	if cRecipe.Pass || cRecipe.Overlaps == 0 || cRecipe.Orphans == 0 || cRecipe.StaleAccepted != nil || cRecipe.JobsCompleted == 0 {
		t.Errorf("the C recipe's row: %+v; want a failure with overlaps and orphans, stale writes n/a, and jobs done", cRecipe)
	}
	md, err := os.ReadFile(filepath.Join(reportDir, report.CompareMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(md)), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[3], "| c-recipe | holder-sigkill | FAIL") {
		t.Errorf("compare.md:\n%s", md)
	}
	for _, row := range c.Rows {
		if _, err := os.Stat(filepath.Join(reportDir, row.Report, report.TimelineFile)); err != nil {
			t.Errorf("%s's trial report: %v", row.Tool, err)
		}
	}
	if !strings.Contains(string(out), "stale writes accepted") || !strings.Contains(string(out), "c-recipe") {
		t.Errorf("the terminal table:\n%s", out)
	}
}
