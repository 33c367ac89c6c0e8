package lock_test

import (
	"io"
	"log"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/internal/zkserver"
)

// standalone starts a ZooKeeper server for this test alone and returns its
// address: the library's own tests need a real server, not the harness.
func standalone(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real ZooKeeper server; run make test")
	}
	srv, err := zkserver.Standalone(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv.Addr()
}

// observe is a plain client beside the one under test.
func observe(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	conn, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogger(log.New(io.Discard, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}
