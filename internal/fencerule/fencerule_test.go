package fencerule

import (
	"testing"
	"time"
)

func TestKillLandsBeforeExpiry(t *testing.T) {
	for _, tc := range []struct{ timeout, grace, want time.Duration }{
		{3 * time.Second, 500 * time.Millisecond, 2200 * time.Millisecond},
		{10 * time.Second, 5 * time.Second, 4 * time.Second},
		{30 * time.Second, 5 * time.Second, 24 * time.Second},
		{400 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond},
	} {
		got := After(tc.timeout, tc.grace)
		if got != tc.want {
			t.Errorf("After(%v, %v) = %v, want %v", tc.timeout, tc.grace, got, tc.want)
		}
		if got+tc.grace >= tc.timeout {
			t.Errorf("T=%v grace=%v: SIGKILL at %v does not land before expiry", tc.timeout, tc.grace, got+tc.grace)
		}
	}
}
