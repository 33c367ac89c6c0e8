package ensembletest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/lock"
)

// testCA makes a CA and a certificate for 127.0.0.1 signed by it.
// clientConfig trusts this CA alone.
func (ca testCA) clientConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// serverKeyStore is ZooKeeper's PEM key store: PKCS#8 key then the chain.
func (ca testCA) serverKeyStore(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zookeeper"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLSToSecureClientPort: the ensemble's secure port accepts a client
// that trusts its CA, and a client with the wrong CA fails clearly within
// the connect timeout.
func TestTLSToSecureClientPort(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "zoo-locked test CA")
	keyStore := write(t, dir, "server.pem", ca.serverKeyStore(t))
	trust := write(t, dir, "ca.pem", ca.pem)
	wrong := newCA(t, "someone else")
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess, TLS: &ensemble.ServerTLS{KeyStore: keyStore, TrustStore: trust}})

	cfg := ca.clientConfig()
	s, err := lock.Connect(context.Background(), lock.SessionConfig{Servers: strings.Split(e.SecureConnectString(), ","),
		SessionTimeout: 4 * time.Second, ConnectTimeout: 10 * time.Second, KillGrace: 200 * time.Millisecond, TLS: cfg})
	if err != nil {
		t.Fatalf("TLS with the right CA: %v", err)
	}
	if _, err := s.Conn().Create("/over-tls", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write over TLS: %v", err)
	}
	s.Close()

	bad := wrong.clientConfig()
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
