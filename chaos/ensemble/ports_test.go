package ensemble

import "testing"

// TestServerPortsLieBelowTheEphemeralRange: no bind(0) can take a server's
// port between its reservation and the server's own bind.
func TestServerPortsLieBelowTheEphemeralRange(t *testing.T) {
	ports, err := freePorts(12)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < lowestServerPort || p >= ephemeralStart() || seen[p] {
			t.Fatalf("ports %v: want 12 distinct ports in [%d, %d)", ports, lowestServerPort, ephemeralStart())
		}
		seen[p] = true
	}
}
