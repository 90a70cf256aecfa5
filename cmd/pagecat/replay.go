package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// A replay is an http.RoundTripper that answers a request for a URL that
// detection asked for already with the answer it got, once, so that the
// walk does not ask for a page twice (nor open a stream twice); it sends
// every other request on.
type replay struct {
	next http.RoundTripper

	mu      sync.Mutex
	answers map[string]*answer // by URL, normalized
}

// add registers a as the answer to the walk's request for u: its header
// and body, or its stream, not what detection decoded of it.
func (rp *replay) add(u string, a *answer) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.answers == nil {
		rp.answers = map[string]*answer{}
	}
	rp.answers[normal(u)] = &answer{url: a.url, header: a.header, body: a.body, stream: a.stream}
}

// take returns, and forgets, the answer registered for u, if any.
func (rp *replay) take(u *url.URL) *answer {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	k := normal(u.String())
	a := rp.answers[k]
	delete(rp.answers, k)
	return a
}

func (rp *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Body != nil && req.Body != http.NoBody {
		return rp.next.RoundTrip(req)
	}
	a := rp.take(req.URL)
	if a == nil {
		return rp.next.RoundTrip(req)
	}
	resp := &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: a.header.Clone(), Request: req, ContentLength: -1,
	}
	resp.Header.Del("Content-Length")
	// The quota headers counted when the answer came (detection and the
	// walk share a Quota); a reset counted from now again would hold the
	// walk back for nothing.
	for name := range resp.Header {
		if strings.HasPrefix(name, "Ratelimit-") || strings.HasPrefix(name, "X-Ratelimit-") {
			delete(resp.Header, name)
		}
	}
	if a.stream != nil {
		resp.Body = a.stream
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(a.body))
		resp.ContentLength = int64(len(a.body))
	}
	return resp, nil
}

// close closes the streams no request took.
func (rp *replay) close() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for k, a := range rp.answers {
		if a.stream != nil {
			a.stream.Close()
		}
		delete(rp.answers, k)
	}
}

// CloseIdleConnections passes on to the transport it wraps.
func (rp *replay) CloseIdleConnections() {
	if c, ok := rp.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// normal returns u written as pagerhttp writes the URLs it asks for.
func normal(u string) string { return walkURL(u, nil) }
