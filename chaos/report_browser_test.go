package chaos

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// pageCheck runs in the rendered page and says what the reader sees: text
// that overprints other text, fault windows without their name on the
// chart, and the verdict rows.
const pageCheck = `<pre id="page-check"></pre><script>
const texts = [...document.querySelectorAll('svg text')].map(t => ({t: t.textContent, b: t.getBBox()}));
const overprinted = [];
for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
  const a = texts[i].b, b = texts[j].b;
  if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
    overprinted.push(texts[i].t + ' / ' + texts[j].t);
}
const labels = [...document.querySelectorAll('svg text.fault-label')].map(t => t.textContent);
const hits = document.querySelectorAll('svg rect.hit').length;
const verdicts = [...document.querySelectorAll('table tr')].slice(1).map(r => [...r.cells].map(c => c.textContent + '|' + c.className));
document.getElementById('page-check').textContent = JSON.stringify({overprinted, labels, hits, verdicts, body: document.body.innerText});
</script>`

// TestTimelineReadsAtAGlance renders the page of a 5-node run with a
// paused holder in headless Chromium: no label prints over another, every
// fault window is named on the chart (fault, target), the hit node's lane
// is marked, times read in milliseconds, and S1 broken under the pause
// reads "expected under pause holder", not FAIL.
func TestTimelineReadsAtAGlance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs headless Chromium: make test")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
	}
	h := &History{Scenario: "random", Seed: 4, Backend: "container", Duration: 25 * time.Second, SessionTimeout: 3 * time.Second,
		KillGrace: 500 * time.Millisecond, Nodes: []string{"node1", "node2", "node3", "node4", "node5"}}
	for i, n := range h.Nodes {
		start := time.Duration(i)*4*time.Second + 1001123408*time.Nanosecond
		h.Intervals = append(h.Intervals, Interval{Node: n, Token: int64(100 + i), Start: start, End: start + 3*time.Second, Writes: 30})
		h.Firings = append(h.Firings, Firing{Node: n, Start: start - 100*time.Millisecond, End: start + 3100*time.Millisecond})
	}
	// The paused holder's job overlaps the next one.
	h.Intervals[1].End = h.Intervals[2].Start + 2*time.Second
	h.Firings[1].End = h.Intervals[1].End + 100*time.Millisecond
	h.Faults = []FaultWindow{
		{Name: "pause holder", Spec: FaultSpec{Kind: "pause-wrapper", Target: "holder"}, Target: "node2", Began: 5 * time.Second, Start: 5 * time.Second, End: 9 * time.Second},
		{Name: "kill leader", Spec: FaultSpec{Kind: "kill-server", Target: "leader"}, Target: "zk2", Began: 5100 * time.Millisecond, Start: 5200 * time.Millisecond, End: 8 * time.Second},
		{Name: "partition waiter", Spec: FaultSpec{Kind: "partition", Target: "waiter"}, Target: "node4", Began: 5300 * time.Millisecond, Start: 5300 * time.Millisecond, End: 7 * time.Second},
	}
	h.Leaders = []LeaderChange{{At: 0, Leader: 2}, {At: 5200 * time.Millisecond, Leader: 0}, {At: 5350 * time.Millisecond, Leader: 2}, {At: 5400 * time.Millisecond, Leader: 3}}
	rep := Check(h, Expect{S1MayFail: true})
	dir := t.TempDir()
	if err := WriteReport(dir, h, rep); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, TimelineFile))
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probe, []byte(strings.Replace(string(page), "</body>", pageCheck+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--dump-dom", "file://"+probe).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`(?s)<pre id="page-check">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the page's check did not run:\n%.2000s", out)
	}
	var seen struct {
		Overprinted []string   `json:"overprinted"`
		Labels      []string   `json:"labels"`
		Hits        int        `json:"hits"`
		Verdicts    [][]string `json:"verdicts"`
		Body        string     `json:"body"`
	}
	if err := json.Unmarshal([]byte(htmlUnescape(string(m[1]))), &seen); err != nil {
		t.Fatalf("page check: %v: %s", err, m[1])
	}
	if len(seen.Overprinted) > 0 {
		t.Errorf("labels print over each other: %q", seen.Overprinted)
	}
	for _, want := range []string{"pause holder → node2", "kill leader → zk2", "partition waiter → node4"} {
		if !slices.Contains(seen.Labels, want) {
			t.Errorf("fault window %q not named on the chart (labels %q)", want, seen.Labels)
		}
	}
	if seen.Hits != 2 {
		t.Errorf("%d lanes marked as hit, want node2's and node4's", seen.Hits)
	}
	if regexp.MustCompile(`\d\.\d{4,}s`).MatchString(seen.Body) {
		t.Errorf("times printed finer than milliseconds:\n%s", seen.Body)
	}
	s1 := ""
	for _, row := range seen.Verdicts {
		if len(row) > 2 && strings.HasPrefix(row[0], "S1|") {
			s1 = row[2]
		}
	}
	if s1 != "expected under pause holder|expected" {
		t.Errorf("S1 broken under the pause reads %q, want \"expected under pause holder\" in the expected colour", s1)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}
