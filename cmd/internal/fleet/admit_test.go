package fleet

import (
	"errors"
	"testing"
	"time"
)

func TestAdmit(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Minute), now.Add(-time.Minute)
	readFailed := errors.New("read failed")
	ran := func(done bool, err error) func() (bool, error) { return func() (bool, error) { return done, err } }
	failed := func(n int, err error) func() (int, error) { return func() (int, error) { return n, err } }
	unread := func(t *testing.T) firingFacts {
		// Reads the decision must not make are a failure when made.
		return firingFacts{now: now,
			ranThisSlot:  func() (bool, error) { t.Error("read the slot record"); return false, nil },
			failedInSlot: func() (int, error) { t.Error("read the attempts"); return 0, nil },
		}
	}
	for _, tc := range []struct {
		name    string
		facts   func(f firingFacts) firingFacts
		want    admission
		wantErr error
	}{
		{"a plain firing runs", func(f firingFacts) firingFacts { return f }, admission{}, nil},
		{"clocks apart refuse before all else", func(f firingFacts) firingFacts {
			f.clocksDisagree, f.pause, f.oncePer = true, &Pause{}, true
			return f
		}, admission{skip: skipClock}, nil},
		{"a pause until resumed skips", func(f firingFacts) firingFacts { f.pause, f.oncePer = &Pause{}, true; return f }, admission{skip: skipPaused}, nil},
		{"a pause still in effect skips", func(f firingFacts) firingFacts { f.pause = &Pause{Until: &later}; return f }, admission{skip: skipPaused}, nil},
		{"an ended pause runs", func(f firingFacts) firingFacts { f.pause = &Pause{Until: &earlier}; return f }, admission{}, nil},
		{"a slot that ran skips", func(f firingFacts) firingFacts { f.oncePer, f.ranThisSlot = true, ran(true, nil); return f }, admission{skip: skipSlotDone}, nil},
		{"an unreadable slot record ends the firing", func(f firingFacts) firingFacts {
			f.oncePer, f.ranThisSlot = true, ran(false, readFailed)
			return f
		}, admission{skip: skipSlotDone}, readFailed},
		{"a due slot with no bound runs", func(f firingFacts) firingFacts { f.oncePer, f.ranThisSlot = true, ran(false, nil); return f }, admission{}, nil},
		{"a due slot under its bound runs", func(f firingFacts) firingFacts {
			f.oncePer, f.ranThisSlot, f.maxAttempts, f.failedInSlot = true, ran(false, nil), 3, failed(2, nil)
			return f
		}, admission{}, nil},
		{"a slot out of attempts skips", func(f firingFacts) firingFacts {
			f.oncePer, f.ranThisSlot, f.maxAttempts, f.failedInSlot = true, ran(false, nil), 2, failed(2, nil)
			return f
		}, admission{skip: skipAttempts, failed: 2}, nil},
		{"unreadable attempts end the firing", func(f firingFacts) firingFacts {
			f.oncePer, f.ranThisSlot, f.maxAttempts, f.failedInSlot = true, ran(false, nil), 2, failed(0, readFailed)
			return f
		}, admission{skip: skipAttempts}, readFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := admit(tc.facts(unread(t)))
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Fatalf("admit = %+v, %v; want %+v, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
