// Package zktls loads the PEM files an operator names (--tls-ca,
// --tls-cert, --tls-key) into the client TLS configuration of a
// connection to ZooKeeper's secure client port: the wrapper's own, and the
// keeper's when it ends a dead wrapper's session over the same TLS.
//
// Its one invariant: a configuration it returns verifies the servers
// against the operator's CA alone, never the system's roots.
package zktls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Files are PEM files for TLS to ZooKeeper's secure client port. CA is
// required; Cert and Key go together, for servers that ask for a client
// certificate.
type Files struct {
	CA, Cert, Key string
}

// Config loads the files into a client TLS configuration.
func (f Files) Config() (*tls.Config, error) {
	if f.CA == "" {
		return nil, errors.New("TLS needs a CA file (the CA that signed the servers' certificates)")
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a client certificate and its key go together")
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", f.CA)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s: %w", f.Cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
