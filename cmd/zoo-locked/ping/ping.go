// Package ping speaks the Healthchecks.io ping protocol (which runitor and
// cronitor speak too) for the node that runs a job: URL/start before it,
// URL after a success, URL/<exit status> after a failure, each with the
// run's id as ?rid= so that overlapping pings pair up. A node that skips
// sends nothing, so one job is one check whatever the fleet's size. A ping
// never changes the wrapper's exit status; a failed one is logged.
package ping

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Timeout bounds one attempt; Attempts is how many are made.
const (
	Timeout  = 5 * time.Second
	Attempts = 3
)

// Pinger pings one check URL for one run.
type Pinger struct {
	base    string
	rid     string
	log     *slog.Logger
	client  *http.Client
	started chan struct{} // closed once the start ping is done with
}

// New checks the URL and returns a pinger for it.
func New(rawURL string, log *slog.Logger) (*Pinger, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ping URL %q: want http(s)://host/path", rawURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ping URL %q: no query or fragment, the pinger adds /start and ?rid=", rawURL)
	}
	return &Pinger{base: strings.TrimSuffix(rawURL, "/"), log: log, client: &http.Client{Timeout: Timeout}}, nil
}

// Start sends URL/start for run rid. It returns once the first attempt is
// answered or has timed out, so the job waits at most Timeout; further
// attempts go on behind the job.
func (p *Pinger) Start(rid string) {
	p.rid = rid
	p.started = make(chan struct{})
	first := make(chan struct{})
	go func() {
		defer close(p.started)
		p.send("/start", nil, first)
	}()
	<-first
}

// Finish sends URL (exit status 0) or URL/<status> once the start ping is
// done with, and returns when it has been answered or given up on. A body
// (the tail of the job's output) goes as a POST's, which Healthchecks
// shows beside the ping; without one it is a GET.
func (p *Pinger) Finish(status int, body []byte) {
	if p.started != nil {
		<-p.started
	}
	suffix := ""
	if status != 0 {
		suffix = "/" + strconv.Itoa(status)
	}
	p.send(suffix, body, nil)
}

// send makes up to Attempts tries of one ping; firstDone, if given, is
// closed after the first.
func (p *Pinger) send(suffix string, body []byte, firstDone chan struct{}) {
	target := p.base + suffix + "?rid=" + url.QueryEscape(p.rid)
	var err error
	for attempt := 1; attempt <= Attempts; attempt++ {
		err = p.once(target, body)
		if attempt == 1 && firstDone != nil {
			close(firstDone)
		}
		if err == nil {
			return
		}
		if attempt < Attempts {
			time.Sleep(time.Duration(attempt) * time.Second)
		}
	}
	p.log.Warn("ping failed; the job's exit status is unchanged", "url", target, "attempts", Attempts, "err", err)
}

func (p *Pinger) once(target string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	method, content := http.MethodGet, io.Reader(nil)
	if body != nil {
		method, content = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, content)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	req.Header.Set("User-Agent", "zoo-locked")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
