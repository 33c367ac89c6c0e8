package connect

import (
	"errors"
	"strings"
	"testing"

	"github.com/zoo-locked/zoo-locked/lock"
)

func TestParseConnectString(t *testing.T) {
	for _, tc := range []struct {
		in      string
		servers string
		chroot  string
		ok      bool
	}{
		{"zk1:2181,zk2:2181,zk3:2181", "zk1:2181,zk2:2181,zk3:2181", "", true},
		{"zk1,zk2:2182", "zk1:2181,zk2:2182", "", true},
		{"zk1:2181/apps/cron", "zk1:2181", "/apps/cron", true},
		{"zk1:2181/", "zk1:2181", "", true},
		{"[::1]:2181", "[::1]:2181", "", true},
		{" 127.0.0.1:2181 ", "127.0.0.1:2181", "", true},
		{"", "", "", false},
		{"zk1:2181,", "", "", false},
		{",zk1", "", "", false},
		{"zk1:0", "", "", false},
		{"zk1:99999", "", "", false},
		{"zk1:port", "", "", false},
		{":2181", "", "", false},
		{"zk1:2181/a/../b", "", "", false},
		{"zk1:2181/a//b", "", "", false},
		{"zk1:2181/a/", "", "", false},
	} {
		cs, err := ParseConnectString(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseConnectString(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !errors.Is(err, lock.ErrUsage) {
				t.Errorf("ParseConnectString(%q) error %v does not wrap lock.ErrUsage", tc.in, err)
			}
			continue
		}
		if got := strings.Join(cs.Servers, ","); got != tc.servers || cs.Chroot != tc.chroot {
			t.Errorf("ParseConnectString(%q) = %q %q, want %q %q", tc.in, got, cs.Chroot, tc.servers, tc.chroot)
		}
	}
}

func FuzzParseConnectString(f *testing.F) {
	for _, s := range []string{"zk1:2181", "a,b:1/c", "[::1]:2181/x", "", ",", "/", "h:65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseConnectString(s)
		if err != nil {
			if !errors.Is(err, lock.ErrUsage) {
				t.Fatalf("%q: error %v does not wrap lock.ErrUsage", s, err)
			}
			return
		}
		if len(cs.Servers) == 0 {
			t.Fatalf("%q: accepted with no server", s)
		}
		if cs.Chroot != "" && lock.ValidateRoot(cs.Chroot) != nil {
			t.Fatalf("%q: accepted bad chroot %q", s, cs.Chroot)
		}
	})
}
