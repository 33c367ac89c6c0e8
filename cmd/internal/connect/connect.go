package connect

import (
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/zoo-locked/zoo-locked/internal/zktls"
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
		return cs, lock.UsageErrorf("empty connect string; want host:port[,host:port...][/chroot]")
	}
	hosts := s
	if i := strings.Index(s, "/"); i >= 0 {
		hosts, cs.Chroot = s[:i], s[i:]
		if err := lock.ValidateRoot(cs.Chroot); err != nil {
			return cs, lock.UsageErrorf("chroot %q: %v", cs.Chroot, strings.TrimPrefix(err.Error(), lock.ErrUsage.Error()+": "))
		}
		if cs.Chroot == "/" {
			cs.Chroot = ""
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return cs, lock.UsageErrorf("connect string %q has an empty server", s)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			if strings.Contains(err.Error(), "missing port") {
				host, port = strings.Trim(h, "[]"), "2181"
			} else {
				return cs, lock.UsageErrorf("server %q in connect string: %v", h, err)
			}
		}
		if host == "" || strings.ContainsAny(host, " \t") {
			return cs, lock.UsageErrorf("server %q in connect string has no host", h)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return cs, lock.UsageErrorf("server %q in connect string: port must be 1-65535", h)
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
		return nil, lock.UsageErrorf("auth file: %v", err)
	}
	// As ssh refuses a key others can read: the password is the tenant's
	// whole claim to its locks.
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, lock.UsageErrorf("auth file %s can be read by others (mode %04o): chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, lock.UsageErrorf("auth file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" || pass == "" {
		return nil, lock.UsageErrorf("auth file %s: want one line user:password", path)
	}
	return []byte(line), nil
}

// TLSFiles are the PEM files of --tls-ca, --tls-cert and --tls-key.
type TLSFiles = zktls.Files
