package lock

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"invoices", true},
		{"backup-db_1.daily", true},
		{"ünïcode", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"/abs", false},
		{"with space", false},
		{"tab\tname", false},
		{"nul\x00", false},
		{"\xff\xfe", false},
		{"_c_reserved", false},
		{strings.Repeat("x", MaxNameLength), true},
		{strings.Repeat("x", MaxNameLength+1), false},
	} {
		err := ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrUsage) {
			t.Errorf("ValidateName(%q) error %v does not wrap ErrUsage", tc.name, err)
		}
	}
}

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
			if !errors.Is(err, ErrUsage) {
				t.Errorf("ParseConnectString(%q) error %v does not wrap ErrUsage", tc.in, err)
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
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("%q: error %v does not wrap ErrUsage", s, err)
			}
			return
		}
		if len(cs.Servers) == 0 {
			t.Fatalf("%q: accepted with no server", s)
		}
		if cs.Chroot != "" && ValidateRoot(cs.Chroot) != nil {
			t.Fatalf("%q: accepted bad chroot %q", s, cs.Chroot)
		}
	})
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"invoices", "", ".", "..", "a/b", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		if strings.ContainsAny(name, "/ \t\n\x00") || name == "." || name == ".." || len(name) > MaxNameLength {
			t.Fatalf("accepted %q", name)
		}
		if ValidateRoot("/"+name) != nil {
			t.Fatalf("valid name %q makes an invalid path", name)
		}
	})
}

// TestUnimplementedIsAnOldServer: a server older than 3.5.3 answers a
// container create with UNIMPLEMENTED, which go-zookeeper reports in this
// form; the wrapper must name the old server, not pass the code on.
func TestUnimplementedIsAnOldServer(t *testing.T) {
	var code zk.ErrCode = -6
	if err := fmt.Errorf("unknown error: %v", code); !unimplemented(err) {
		t.Fatalf("%v not taken for an old server", err)
	}
	if unimplemented(zk.ErrNoNode) || unimplemented(nil) {
		t.Fatal("ordinary errors taken for an old server")
	}
}
