// Package chaostest is the one home of what the project's tests share: a
// real ZooKeeper ensemble with one call (cleaned up with the test, its
// server logs kept when it fails), the binaries built from the tree once
// per test binary, a plain client, and bounded waits.
package chaostest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// StartupTimeout bounds how long an ensemble may take to serve; the
// container backend needs about 10 s once the image exists.
const StartupTimeout = 90 * time.Second

// Ensemble starts an ensemble for t. The backend comes from opts, else
// ZOOLOCKED_BACKEND, else containers where an engine answers; the test log
// says which ran. When t fails, the servers' logs are saved under
// $ZOOLOCKED_TEST_LOGS (default: the system temp dir) and the path logged.
func Ensemble(t testing.TB, opts ensemble.Options) *ensemble.Ensemble {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real ZooKeeper ensemble; run make test")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(Log(t), &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	e, err := ensemble.NewEnsemble(ctx, opts)
	if err != nil {
		t.Fatalf("start ensemble: %v", err)
	}
	t.Logf("ensemble backend: %s, servers %s", e.Backend(), e.ConnectString())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if t.Failed() {
			dir := os.Getenv("ZOOLOCKED_TEST_LOGS")
			if dir == "" {
				dir = os.TempDir()
			}
			dir = filepath.Join(dir, "zoo-locked-"+strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+time.Now().Format("150405"))
			if err := e.SaveLogs(ctx, dir); err != nil {
				t.Logf("save server logs: %v", err)
			}
			t.Logf("server logs kept in %s", dir)
		}
		if err := e.Close(ctx); err != nil {
			t.Errorf("close ensemble: %v", err)
		}
	})
	return e
}
