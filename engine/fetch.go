package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// fetched is one document Fetch read in a run, or why it could not. once makes workers that ask
// for the same URL together wait for one request.
type fetched struct {
	once sync.Once
	body []byte
	err  error
}

// Fetch reads a document over HTTP(S) for the transform (the discovery
// document of an OIDC provider), once per URL and run, each request bounded
// by Options.FetchTimeout, up to 1 MiB. The run owns the network: Fetch
// refuses unless Options.FetchWellKnown (--fetch-well-known) allows it, so a
// transform checks that option first and otherwise reports a manual step.
// The errors name the URL.
func (t *TransformContext) Fetch(u string) ([]byte, error) {
	r := t.c.run
	if !r.opts.FetchWellKnown {
		return nil, fmt.Errorf("fetching %s: the run reads nothing over the network without --fetch-well-known", u)
	}
	r.mu.Lock()
	f := r.fetched[u]
	if f == nil {
		if r.fetched == nil {
			r.fetched = map[string]*fetched{}
		}
		f = &fetched{}
		r.fetched[u] = f
	}
	r.mu.Unlock()
	f.once.Do(func() { f.body, f.err = r.fetchNow(u) })
	return f.body, f.err
}

func (r *Run) fetchNow(u string) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return nil, fmt.Errorf("%s is not an http(s) URL", u)
	}
	timeout := r.opts.FetchTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", u, err)
	}
	req.Header.Set("Accept", "application/json")
	client := r.opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("fetching %s: no answer within %s", u, timeout)
		}
		return nil, fmt.Errorf("fetching %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %v", u, err)
	}
	return body, nil
}
