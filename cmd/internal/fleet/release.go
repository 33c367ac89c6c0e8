package fleet

import (
	"github.com/zoo-locked/zoo-locked/internal/zkclose"
	"github.com/zoo-locked/zoo-locked/lock"
)

// sessionForKeeper is what the keeper needs to end this wrapper's session
// should the wrapper die while the job runs (the keeper's release.go):
// the session's credentials, the servers, the digest credentials and the
// TLS files. Empty when the keeper could not reach the servers as the
// wrapper does: TLS configured in code rather than from files, which the
// keeper cannot load; the lock then frees at T.
func sessionForKeeper(cfg Config, s *lock.Session) string {
	creds, ok := s.Credentials()
	if !ok || (cfg.Session.TLS != nil && cfg.TLSFiles.CA == "") {
		return ""
	}
	session := zkclose.Session{Servers: cfg.Session.Servers, ID: creds.ID, Password: creds.Password,
		Timeout: s.Timeout(), Auth: cfg.Session.Auth}
	if cfg.Session.TLS != nil {
		session.TLS.CA, session.TLS.Cert, session.TLS.Key = cfg.TLSFiles.CA, cfg.TLSFiles.Cert, cfg.TLSFiles.Key
	}
	return session.Encode()
}
