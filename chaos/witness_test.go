package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
)

// TestWitnessRefusesStaleTokens drives the witness over real sockets: a
// holder with a lower token than one already accepted is refused.
func TestWitnessRefusesStaleTokens(t *testing.T) {
	w, err := NewWitness(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	write := func(node string, token int64) string {
		conn, err := net.Dial("tcp", w.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "hello %s %d 1\nwrite\n", node, token)
		r := bufio.NewScanner(conn)
		if !r.Scan() {
			t.Fatal("no answer")
		}
		return r.Text()
	}
	if got := write("a", 10); got != "ok" {
		t.Fatalf("first write: %s", got)
	}
	if got := write("b", 12); got != "ok" {
		t.Fatalf("newer token: %s", got)
	}
	if got := write("a", 10); got != "stale" {
		t.Fatalf("stale token: %s", got)
	}
	ivs := w.Close()
	rejected := 0
	for _, iv := range ivs {
		rejected += iv.Rejected
		if iv.StaleAccepted != 0 {
			t.Fatalf("stale accepted: %+v", iv)
		}
	}
	if len(ivs) != 3 || rejected != 1 {
		t.Fatalf("intervals %+v", ivs)
	}
}

// TestWitnessRecordsReusedToken: two jobs presenting the same token is an
// S2 violation a >= fence cannot refuse; the witness records it.
func TestWitnessRecordsReusedToken(t *testing.T) {
	w, err := NewWitness(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for pid := 1; pid <= 2; pid++ {
		conn, err := net.Dial("tcp", w.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "hello n%d 10 %d\nwrite\n", pid, pid)
		r := bufio.NewScanner(conn)
		if !r.Scan() || r.Text() != "ok" {
			t.Fatalf("write %d: %q", pid, r.Text())
		}
		conn.Close()
	}
	stale := 0
	for _, iv := range w.Close() {
		stale += iv.StaleAccepted
	}
	if stale != 1 {
		t.Fatalf("reused token recorded %d times, want 1", stale)
	}
	data, err := os.ReadFile("checker/testdata/clean-history.json")
	if err != nil {
		t.Fatal(err)
	}
	var h checker.History
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	h.Intervals[1].StaleAccepted = stale
	for _, v := range checker.Check(&h, checker.Expect{}).Verdicts {
		if v.Name == "S2" && v.Pass {
			t.Fatal("S2 passed with a reused token")
		}
	}
}
