package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
)

// overprintJS lists, in the page, the texts (in texts: {t, b: bbox}) that
// print over one another.
const overprintJS = `const overprinted = [];
for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
  const a = texts[i].b, b = texts[j].b;
  if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
    overprinted.push(texts[i].t + ' / ' + texts[j].t);
}
`

// pageCheck runs in the rendered page and says what the reader sees: text
// that overprints other text, fault windows without their name on the
// chart, and the verdict rows.
const pageCheck = `<pre id="page-check"></pre><script>
const texts = [...document.querySelectorAll('svg text')].map(t => ({t: t.textContent, b: t.getBBox()}));
` + overprintJS + `const labels = [...document.querySelectorAll('svg text.fault-label')].map(t => t.textContent);
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
	h := &checker.History{Scenario: "random", Seed: 4, Backend: "container", Duration: 25 * time.Second, SessionTimeout: 3 * time.Second,
		KillGrace: 500 * time.Millisecond, Nodes: []string{"node1", "node2", "node3", "node4", "node5"}}
	for i, n := range h.Nodes {
		start := time.Duration(i)*4*time.Second + 1001123408*time.Nanosecond
		h.Intervals = append(h.Intervals, checker.Interval{Node: n, Token: int64(100 + i), Start: start, End: start + 3*time.Second, Writes: 30})
		h.Firings = append(h.Firings, checker.Firing{Node: n, Start: start - 100*time.Millisecond, End: start + 3100*time.Millisecond})
	}
	// The paused holder's job overlaps the next one.
	h.Intervals[1].End = h.Intervals[2].Start + 2*time.Second
	h.Firings[1].End = h.Intervals[1].End + 100*time.Millisecond
	h.Faults = []faults.FaultWindow{
		{Name: "pause holder", Spec: faults.FaultSpec{Kind: "pause-wrapper", Target: "holder"}, Target: "node2", InjectionBegan: 5 * time.Second, InEffect: 5 * time.Second, End: 9 * time.Second},
		{Name: "kill leader", Spec: faults.FaultSpec{Kind: "kill-server", Target: "leader"}, Target: "zk2", InjectionBegan: 5100 * time.Millisecond, InEffect: 5200 * time.Millisecond, End: 8 * time.Second},
		{Name: "partition waiter", Spec: faults.FaultSpec{Kind: "partition", Target: "waiter"}, Target: "node4", InjectionBegan: 5300 * time.Millisecond, InEffect: 5300 * time.Millisecond, End: 7 * time.Second},
	}
	h.Leaders = []checker.LeaderChange{{At: 0, Leader: 2}, {At: 5200 * time.Millisecond, Leader: 0}, {At: 5350 * time.Millisecond, Leader: 2}, {At: 5400 * time.Millisecond, Leader: 3}}
	rep := checker.Check(h, checker.Expect{S1MayFail: true})
	m := inChromium(t, h, rep, pageCheck)
	var seen struct {
		Overprinted []string   `json:"overprinted"`
		Labels      []string   `json:"labels"`
		Hits        int        `json:"hits"`
		Verdicts    [][]string `json:"verdicts"`
		Body        string     `json:"body"`
	}
	if err := json.Unmarshal([]byte(m), &seen); err != nil {
		t.Fatalf("page check: %v: %s", err, m)
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

// inChromium renders the history's timeline with check appended in
// headless Chromium, and returns what check wrote into #page-check.
func inChromium(t *testing.T, h *checker.History, rep checker.Report, check string) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
	}
	dir := t.TempDir()
	page := writeTimelineIn(t, dir, h, rep)
	probe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probe, []byte(strings.Replace(page, "</body>", check+"</body>", 1)), 0o644); err != nil {
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
	return htmlUnescape(string(m[1]))
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}

// soakCheck runs in a long history's page: what overprints, what the
// pointer names over a fault window, a job's width before and after
// zooming to it, and the links that jump to listed moments.
const soakCheck = `<pre id="page-check"></pre><script>
const svg = document.getElementById('chart');
const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent).map(t => ({t: t.textContent, b: t.getBBox()}));
` + overprintJS + `const r = svg.getBoundingClientRect();
const win = svg.querySelector('rect.fault');
const mid = +win.getAttribute('x') + (+win.getAttribute('width')) / 2;
svg.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + mid, clientY: r.top + 60, bubbles: true}));
const pointed = document.getElementById('pointer').textContent;
const job = svg.querySelector('rect.job');
const before = +job.getAttribute('width');
document.querySelector('a[data-at]').click();
const zoomedFrom = document.getElementById('from').value;
focusAt(+job.dataset.a);
const after = +job.getAttribute('width');
const links = document.querySelectorAll('a[data-at]').length;
const faultLabels = svg.querySelectorAll('text.fault-label').length;
document.getElementById('page-check').textContent = JSON.stringify({overprinted, pointed, faultName: win.querySelector('title').textContent, before, after, links, faultLabels, zoomedFrom});
</script>`

// TestTimelineReadsAtSoakLength renders a 10-minute, 5-node history with
// 117 faults in headless Chromium: nothing overprints, the pointer names
// the fault under it instead of rows of labels, zooming into a window
// widens what is in it, and each overlap and unexplained exit is a link
// that jumps to its moment.
func TestTimelineReadsAtSoakLength(t *testing.T) {
	if testing.Short() {
		t.Skip("needs headless Chromium: make test")
	}
	h := &checker.History{Scenario: "random", Seed: 61, Backend: "container", Duration: 10 * time.Minute, SessionTimeout: 3 * time.Second,
		KillGrace: 500 * time.Millisecond, Nodes: []string{"node1", "node2", "node3", "node4", "node5"}}
	at := time.Second
	for i := 0; at < h.Duration-time.Second; i++ {
		n := h.Nodes[i%5]
		h.Intervals = append(h.Intervals, checker.Interval{Node: n, Token: int64(100 + i), Start: at, End: at + 4*time.Second, Writes: 40})
		h.Firings = append(h.Firings, checker.Firing{Node: n, Start: at - 50*time.Millisecond, End: at + 4050*time.Millisecond})
		at += 4*time.Second + 10*time.Millisecond
	}
	kinds := []string{"partition", "pause-wrapper", "kill-server", "slow", "quorum-loss"}
	for i := range 117 {
		start := time.Duration(i) * 5 * time.Second
		h.Faults = append(h.Faults, faults.FaultWindow{Name: fmt.Sprintf("fault %d (%s)", i, kinds[i%5]), Kind: kinds[i%5], Target: h.Nodes[i%5],
			InjectionBegan: start, InEffect: start, End: start + 2*time.Second})
	}
	// One overlap and one unexplained exit to list.
	h.Intervals[10].End += time.Second
	h.Firings = append(h.Firings, checker.Firing{Node: "node3", Start: 300 * time.Second, End: 301 * time.Second, Exit: 70})
	rep := checker.Check(h, checker.Expect{S1MayFail: true})
	m := inChromium(t, h, rep, soakCheck)
	var seen struct {
		Overprinted []string `json:"overprinted"`
		Pointed     string   `json:"pointed"`
		FaultName   string   `json:"faultName"`
		Before      float64  `json:"before"`
		After       float64  `json:"after"`
		Links       int      `json:"links"`
		FaultLabels int      `json:"faultLabels"`
		ZoomedFrom  string   `json:"zoomedFrom"`
	}
	if err := json.Unmarshal([]byte(m), &seen); err != nil {
		t.Fatalf("page check: %v: %s", err, m)
	}
	if len(seen.Overprinted) > 0 {
		t.Errorf("labels print over each other: %q", seen.Overprinted[:min(5, len(seen.Overprinted))])
	}
	t.Logf("pointer: %q; job %v px, zoomed %v px; %d links", seen.Pointed, seen.Before, seen.After, seen.Links)
	if seen.FaultLabels != 0 {
		t.Errorf("%d fault labels stacked above the lanes; the pointer should name them", seen.FaultLabels)
	}
	if !strings.Contains(seen.Pointed, "fault 0 (partition)") {
		t.Errorf("the pointer over the first fault window reads %q", seen.Pointed)
	}
	if seen.After < 20*seen.Before {
		t.Errorf("zooming to a 4 s window widened a job from %v px to %v px only", seen.Before, seen.After)
	}
	if seen.Links != 2 || seen.ZoomedFrom == "0.000" {
		t.Errorf("%d links to listed moments (want the overlap and the unexplained exit); following one shows from %s s", seen.Links, seen.ZoomedFrom)
	}
}
