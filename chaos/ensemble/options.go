package ensemble

import (
	"log/slog"
	"os"
	"time"
)

// Backends an Ensemble can run on.
const (
	BackendAuto      = "auto"
	BackendContainer = "container"
	BackendProcess   = "process"
)

// Options configure an Ensemble. The zero value is a test ensemble: three
// servers, tickTime 200 ms (sessions of 0.4–4 s allowed), backend chosen from
// ZOOLOCKED_BACKEND or else containers where an engine answers.
type Options struct {
	Servers  int
	Backend  string
	Image    string // container image; default ZOOLOCKED_ZK_IMAGE or DefaultImage
	TickTime time.Duration
	// MaxSessionTimeout is the longest session the servers grant; ZooKeeper
	// lowers any longer request to it. Default 20 ticks, as ZooKeeper's.
	MaxSessionTimeout time.Duration
	Logger            *slog.Logger
	// TLS opens a secure client port on every server (process backend).
	TLS *ServerTLS
	// MovableClocks preloads faketime into every server so that SetClock can
	// move its wall clock. Off by default: faketime stands between the JVM
	// and every clock read it makes, and what needs no moved clock should
	// not carry it (clock.go says what it once cost).
	MovableClocks bool
}

// ServerTLS are PEM files for the servers' secure client port: KeyStore
// holds the private key (PKCS#8) and the certificate chain, TrustStore the CA.
type ServerTLS struct {
	KeyStore, TrustStore string
}

func (o Options) withDefaults() Options {
	if o.Servers == 0 {
		o.Servers = 3
	}
	if o.Backend == "" {
		o.Backend = os.Getenv("ZOOLOCKED_BACKEND")
	}
	if o.Backend == "" {
		o.Backend = BackendAuto
	}
	if o.Image == "" {
		o.Image = os.Getenv("ZOOLOCKED_ZK_IMAGE")
	}
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.TickTime == 0 {
		o.TickTime = 200 * time.Millisecond
	}
	if o.MaxSessionTimeout == 0 {
		o.MaxSessionTimeout = 20 * o.TickTime
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
