package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildBinaries builds zoo-locked and zoo-chaos from this repository into
// dir, so a scenario always runs the wrapper as it is in the tree. It
// returns their paths.
func BuildBinaries(ctx context.Context, dir string) (zooLocked, zooChaos string, err error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("find the module (run from the repository): %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || root == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", "", fmt.Errorf("not inside the zoo-locked repository")
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./cmd/zoo-locked", "./cmd/zoo-locked-keeper", "./cmd/zoo-chaos")
	cmd.Dir = root
	// Static, as `make build` makes them: without the dynamic loader a
	// wrapper starts about 3 ms sooner, which every cron run pays.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("build binaries: %v\n%s", err, out)
	}
	return filepath.Join(dir, "zoo-locked"), filepath.Join(dir, "zoo-chaos"), nil
}
