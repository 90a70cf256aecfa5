package pagerhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
)

// do sends a request for u, after waiting for the rate-limit quota if it
// is spent, and returns the response if its status is 2xx. Otherwise it
// returns an *HTTPError, having drained and closed the body.
//
// Each of extra, if any, adds to the request before it is sent (a body,
// headers). The response's body is bounded by limit bytes (< 0: none) and
// by the idle timeout; closing it ends the request.
func (c *httpClient) do(ctx context.Context, u, accept string, limit int64, extra ...func(*http.Request)) (*http.Response, error) {
	target, err := url.Parse(u)
	if err != nil {
		return nil, c.fail(u, errors.New("not a valid URL")) // err quotes it whole
	}
	if err := c.origin.check(target); err != nil {
		return nil, err
	}
	if err := c.pace.wait(ctx, c.method, Redact(u)); err != nil {
		return nil, err
	}
	defer c.pace.done()
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, c.method, u, nil)
	if err != nil {
		cancel(nil)
		return nil, c.fail(u, err)
	}
	req.Header = c.e.Header.Clone()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", accept)
	}
	for _, add := range extra {
		add(req)
	}
	resp, err := c.send(ctx, cancel, req, limit)
	if err != nil {
		return nil, err
	}
	c.pace.observe(resp.StatusCode, resp.Header)
	if resp.StatusCode/100 != 2 {
		defer drainClose(resp.Body)
		return nil, newHTTPError(req, resp, c.pace.clock.now())
	}
	return resp, nil
}

// drainBound is how much of a body is read, past what was used of it, to
// let its connection be reused; a longer body is closed unread.
const drainBound = 256 << 10

// drainClose reads the rest of body, up to drainBound, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainBound)
	body.Close()
}
