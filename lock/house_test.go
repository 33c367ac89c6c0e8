package lock_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryStandsAlone: the library's tests build without the harness
// above it (no testcontainers, no chaos), so a change to the core costs
// its own tests, not the suite's.
func TestLibraryStandsAlone(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "testcontainers") || strings.HasPrefix(dep, "github.com/zoo-locked/zoo-locked/chaos") {
			t.Errorf("the lock package's tests depend on %s", dep)
		}
	}
}

// TestSmallFiles: no source file of the library or the harness grows past
// 400 lines; one that does holds more than one purpose.
func TestSmallFiles(t *testing.T) {
	for _, root := range []string{".", "../chaos"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if n := bytes.Count(data, []byte("\n")); n > 400 {
				t.Errorf("%s has %d lines, more than 400: split it by purpose", path, n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
