package ensemble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// proxyServer is toxiproxy embedded in this process: no container, no
// separate binary, so a cut takes effect the moment the call returns.
type proxyServer struct {
	api *toxiproxy.ApiServer
}

func newProxyServer() *proxyServer {
	return &proxyServer{api: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())}
}

// link opens a proxy listening on listenHost (a free port) towards upstream.
func (s *proxyServer) link(name, listenHost, upstream string) (*Link, error) {
	p := toxiproxy.NewProxy(s.api, name, listenHost+":0", upstream)
	if err := s.api.Collection.Add(p, true); err != nil {
		return nil, fmt.Errorf("start proxy %s: %w", name, err)
	}
	return &Link{proxy: p}, nil
}

func (s *proxyServer) close() {
	// Clear stops every proxy; an error means one was already gone.
	_ = s.api.Collection.Clear()
}

// Link is one proxied TCP path (a client node to a server, or one server to
// a peer) that can be cut, slowed and healed.
type Link struct {
	mu     sync.Mutex
	proxy  *toxiproxy.Proxy
	toxics []string // what Heal has to remove
}

// Addr is the address clients dial instead of the upstream.
func (l *Link) Addr() string { return l.proxy.Listen }

// Name is the proxy's name, e.g. "node1->zk2".
func (l *Link) Name() string { return l.proxy.Name }

var bothStreams = []string{"upstream", "downstream"}

// Cut blackholes the link in both directions: established connections stall
// (no data, no reset) and new ones connect but never get an answer, which is
// what a real partition looks like to a ZooKeeper client.
func (l *Link) Cut(ctx context.Context) error {
	return l.set(ctx, "cut", &toxics.TimeoutToxic{Timeout: 0}, bothStreams)
}

// Slow adds latency with jitter to each direction of the link.
func (l *Link) Slow(ctx context.Context, latency, jitter time.Duration) error {
	return l.set(ctx, "slow", &toxics.LatencyToxic{Latency: latency.Milliseconds(), Jitter: jitter.Milliseconds()}, bothStreams)
}

// LoseReplies lets requests through but closes each connection when the
// server's next answer arrives, unread: a request that took effect while
// its reply was lost, as when a server fails between the two.
func (l *Link) LoseReplies(ctx context.Context) error {
	return l.set(ctx, "lose", &toxics.LimitDataToxic{Bytes: 0}, []string{"downstream"})
}

// Heal removes whatever Cut, Slow or LoseReplies added. Connections a cut
// held are closed by toxiproxy, so clients reconnect at once.
func (l *Link) Heal(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heal(ctx)
}

func (l *Link) set(ctx context.Context, kind string, toxic toxics.Toxic, streams []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.heal(ctx); err != nil {
		return err
	}
	for _, stream := range streams {
		name := kind + "_" + stream
		// The embedded server takes toxics as its API's JSON only; the
		// wrapper is its own type, marshalled as it unmarshals it.
		typ, err := toxicType(toxic)
		if err != nil {
			return err
		}
		body, err := json.Marshal(&toxics.ToxicWrapper{Toxic: toxic, Name: name, Type: typ, Stream: stream, Toxicity: 1})
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, l.Name(), err)
		}
		if _, err := l.proxy.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
			return fmt.Errorf("%s %s: %w", kind, l.Name(), err)
		}
		l.toxics = append(l.toxics, name)
	}
	return nil
}

// toxicType is the name toxiproxy registered the toxic's type under.
func toxicType(t toxics.Toxic) (string, error) {
	switch t.(type) {
	case *toxics.TimeoutToxic:
		return "timeout", nil
	case *toxics.LatencyToxic:
		return "latency", nil
	case *toxics.LimitDataToxic:
		return "limit_data", nil
	}
	return "", fmt.Errorf("toxic %T has no registered type name", t)
}

func (l *Link) heal(ctx context.Context) error {
	var errs []error
	for _, name := range l.toxics {
		if err := l.proxy.Toxics.RemoveToxic(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("heal %s: %w", l.Name(), err))
		}
	}
	l.toxics = nil
	return errors.Join(errs...)
}

// links is a set of links acted on together.
type links []*Link

func (ls links) cut(ctx context.Context) error {
	return ls.each(func(l *Link) error { return l.Cut(ctx) })
}

func (ls links) heal(ctx context.Context) error {
	return ls.each(func(l *Link) error { return l.Heal(ctx) })
}

func (ls links) each(f func(*Link) error) error {
	var errs []error
	for _, l := range ls {
		errs = append(errs, f(l))
	}
	return errors.Join(errs...)
}
