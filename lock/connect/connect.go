package connect

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/zoo-locked/zoo-locked/lock"
)

// ConnectString is a parsed "host:port,host:port/chroot".
type ConnectString struct {
	Servers []string
	Chroot  string // "" or "/a/b"
}

// ParseConnectString parses the usual ZooKeeper connect string. A host
// without a port gets 2181; IPv6 hosts are written [::1]:2181.
func ParseConnectString(s string) (ConnectString, error) {
	var cs ConnectString
	s = strings.TrimSpace(s)
	if s == "" {
		return cs, fmt.Errorf("%w: empty connect string; want host:port[,host:port...][/chroot]", lock.ErrUsage)
	}
	hosts := s
	if i := strings.Index(s, "/"); i >= 0 {
		hosts, cs.Chroot = s[:i], s[i:]
		if err := lock.ValidateRoot(cs.Chroot); err != nil {
			return cs, fmt.Errorf("%w: chroot %q: %v", lock.ErrUsage, cs.Chroot, strings.TrimPrefix(err.Error(), lock.ErrUsage.Error()+": "))
		}
		if cs.Chroot == "/" {
			cs.Chroot = ""
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return cs, fmt.Errorf("%w: connect string %q has an empty server", lock.ErrUsage, s)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			if strings.Contains(err.Error(), "missing port") {
				host, port = strings.Trim(h, "[]"), "2181"
			} else {
				return cs, fmt.Errorf("%w: server %q in connect string: %v", lock.ErrUsage, h, err)
			}
		}
		if host == "" || strings.ContainsAny(host, " \t") {
			return cs, fmt.Errorf("%w: server %q in connect string has no host", lock.ErrUsage, h)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return cs, fmt.Errorf("%w: server %q in connect string: port must be 1-65535", lock.ErrUsage, h)
		}
		cs.Servers = append(cs.Servers, net.JoinHostPort(host, port))
	}
	return cs, nil
}

// ReadAuthFile reads "user:password" from the first line of path: digest
// credentials stay out of argv (ps shows it to every user) and out of logs.
func ReadAuthFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: auth file: %v", lock.ErrUsage, err)
	}
	// As ssh refuses a key others can read: the password is the tenant's
	// whole claim to its locks.
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: auth file %s can be read by others (mode %04o): chmod 600 %s", lock.ErrUsage, path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: auth file: %v", lock.ErrUsage, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" || pass == "" {
		return nil, fmt.Errorf("%w: auth file %s: want one line user:password", lock.ErrUsage, path)
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
		return nil, fmt.Errorf("%w: TLS needs a CA file (the CA that signed the servers' certificates)", lock.ErrUsage)
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, fmt.Errorf("%w: a client certificate and its key go together", lock.ErrUsage)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("%w: CA file: %v", lock.ErrUsage, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: CA file %s: no PEM certificate in it", lock.ErrUsage, f.CA)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate %s: %v", lock.ErrUsage, f.Cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
