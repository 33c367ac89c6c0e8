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
