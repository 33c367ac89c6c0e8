package ensembletest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/lock"
)

// TestTLSToSecureClientPort: the ensemble's secure port accepts a client
// that trusts its CA, and a client with the wrong CA fails clearly within
// the connect timeout.
func TestTLSToSecureClientPort(t *testing.T) {
	dir := t.TempDir()
	ca := chaostest.NewCA(t, "zoo-locked test CA")
	keyStore := chaostest.WriteFile(t, dir, "server.pem", ca.ServerKeyStore(t))
	trust := chaostest.WriteFile(t, dir, "ca.pem", ca.PEM)
	wrong := chaostest.NewCA(t, "someone else")
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess, TLS: &ensemble.ServerTLS{KeyStore: keyStore, TrustStore: trust}})

	cfg := ca.ClientConfig()
	s, err := lock.Connect(context.Background(), lock.SessionConfig{Servers: strings.Split(e.SecureConnectString(), ","),
		SessionTimeout: 4 * time.Second, ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond, TLS: cfg})
	if err != nil {
		t.Fatalf("TLS with the right CA: %v", err)
	}
	if _, err := s.Conn().Create("/over-tls", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write over TLS: %v", err)
	}
	s.Close()

	bad := wrong.ClientConfig()
	start := time.Now()
	_, err = lock.Connect(context.Background(), lock.SessionConfig{Servers: strings.Split(e.SecureConnectString(), ","),
		SessionTimeout: 4 * time.Second, ConnectTimeout: 2 * time.Second, KillGrace: 200 * time.Millisecond, TLS: bad})
	if !errors.Is(err, lock.ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("wrong CA: %v, want unavailable naming the certificate problem", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("wrong CA took %v to fail", d)
	}
}
