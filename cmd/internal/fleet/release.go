package fleet

import (
	"github.com/zoo-locked/zoo-locked/internal/zkclose"
	"github.com/zoo-locked/zoo-locked/lock"
)

// sessionForKeeper is what the keeper needs to end this wrapper's session
// should the wrapper die while the job runs (the keeper's release.go):
// the session's credentials, the servers and the digest credentials.
// Empty when the keeper could not present it as the wrapper does: over
// TLS, which the small keeper does not speak, the lock frees at T.
func sessionForKeeper(cfg lock.SessionConfig, s *lock.Session) string {
	creds, ok := s.Credentials()
	if !ok || cfg.TLS != nil {
		return ""
	}
	return zkclose.Session{Servers: cfg.Servers, ID: creds.ID, Password: creds.Password,
		Timeout: s.Timeout(), Auth: cfg.Auth}.Encode()
}
