package lock

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/go-zookeeper/zk"
)

// ReadAuthFile reads "user:password" from the first line of path: digest
// credentials stay out of argv (ps shows it to every user) and out of logs.
func ReadAuthFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: auth file: %v", ErrUsage, err)
	}
	// As ssh refuses a key others can read: the password is the tenant's
	// whole claim to its locks.
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: auth file %s can be read by others (mode %04o): chmod 600 %s", ErrUsage, path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: auth file: %v", ErrUsage, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" || pass == "" {
		return nil, fmt.Errorf("%w: auth file %s: want one line user:password", ErrUsage, path)
	}
	return []byte(line), nil
}

// TLSFiles are PEM files for TLS to ZooKeeper's secure client port. CA is
// required; Cert and Key go together, for servers that ask for a client
// certificate.
type TLSFiles struct {
	CA, Cert, Key string
}

// Config loads the files into a client TLS configuration.
func (f TLSFiles) Config() (*tls.Config, error) {
	if f.CA == "" {
		return nil, fmt.Errorf("%w: TLS needs a CA file (the CA that signed the servers' certificates)", ErrUsage)
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, fmt.Errorf("%w: a client certificate and its key go together", ErrUsage)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("%w: CA file: %v", ErrUsage, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: CA file %s: no PEM certificate in it", ErrUsage, f.CA)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate %s: %v", ErrUsage, f.Cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// ACLs the recipe creates with. Without credentials everything is open, as
// ZooKeeper's default. With them, only the same credentials can delete or
// change a lock's znodes — another tenant can read (status works) but
// neither delete a holder's znode nor queue under a lock it did not create
// (ZooKeeper checks delete and create on the parent).
type acls struct {
	root, parent, node []zk.ACL
}

func aclsFor(authenticated bool) acls {
	if !authenticated {
		open := zk.WorldACL(zk.PermAll)
		return acls{root: open, parent: open, node: open}
	}
	mine := zk.ACL{Perms: zk.PermAll, Scheme: "auth"}
	read := zk.ACL{Perms: zk.PermRead, Scheme: "world", ID: "anyone"}
	// The shared root lets every tenant create its own lock parents.
	readCreate := zk.ACL{Perms: zk.PermRead | zk.PermCreate, Scheme: "world", ID: "anyone"}
	return acls{
		root:   []zk.ACL{mine, readCreate},
		parent: []zk.ACL{mine, read},
		node:   []zk.ACL{mine, read},
	}
}
