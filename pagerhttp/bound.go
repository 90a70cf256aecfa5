package pagerhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// The defaults of the bounds on what a server controls, used when the
// Endpoint field is 0: see [Endpoint.MaxBodySize], [Endpoint.HeaderTimeout]
// and [Endpoint.IdleTimeout].
const (
	DefaultMaxBodySize   = 64 << 20
	DefaultHeaderTimeout = time.Minute
	DefaultIdleTimeout   = time.Minute
)

var (
	// ErrBodyTooLarge reports a page whose body, decompressed, is longer
	// than [Endpoint.MaxBodySize]. It is not retried.
	ErrBodyTooLarge = errors.New("pagerhttp: response body too large")

	// ErrIdleTimeout reports a response body of which no byte arrived for
	// [Endpoint.IdleTimeout]. It is retried as [pager.Retry] says.
	ErrIdleTimeout = errors.New("pagerhttp: no bytes from the server")

	// ErrHeaderTimeout reports a request not answered within
	// [Endpoint.HeaderTimeout]. It is retried as [pager.Retry] says.
	ErrHeaderTimeout = errors.New("pagerhttp: no response from the server")
)

// defaultTransport is the Transport of the Client an Endpoint without one
// uses: http.DefaultTransport's settings, with a shorter connect timeout.
// The Endpoint's own timeouts bound the rest.
var defaultTransport = &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:     true,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 5 * time.Minute, // a backstop: Endpoint.HeaderTimeout applies first
	ExpectContinueTimeout: time.Second,
	MaxIdleConns:          100,
	MaxIdleConnsPerHost:   16, // Prefetch's concurrent fetches
	IdleConnTimeout:       90 * time.Second,
}

// A responseError reports a request or response that failed, and where.
type responseError struct {
	method, url string // url redacted
	err         error
	retryable   bool
}

func (e *responseError) Error() string {
	return fmt.Sprintf("pagerhttp: %s %s: %s", e.method, e.url, trimPrefix(e.err))
}

func (e *responseError) Unwrap() error   { return e.err }
func (e *responseError) Retryable() bool { return e.retryable }

// fail returns err as a *responseError for u, not retried.
func (c *httpClient) fail(u string, err error) error {
	return &responseError{method: c.method, url: Redact(u), err: err}
}

// startTimer cancels a request's context with cause after d, unless
// stopped; nil if d <= 0.
func startTimer(d time.Duration, cause error, cancel context.CancelCauseFunc) *time.Timer {
	if d <= 0 {
		return nil
	}
	return time.AfterFunc(d, func() { cancel(cause) })
}

// body is a response body under an Endpoint's bounds: at most limit bytes
// (< 0: no limit), and no read waits more than idle for a byte. It is the
// body of a request with its own context, canceled when the body is closed.
type body struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	t      *time.Timer // fires after idle within a Read; nil: no idle timeout
	limit  int64
	n      int64
	where  func(error) error
}

func (b *body) Read(p []byte) (int, error) {
	if b.limit >= 0 && int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1] // one byte past the limit tells a longer body
	}
	if b.t != nil {
		b.t.Reset(b.idle)
	}
	n, err := b.rc.Read(p)
	if b.t != nil {
		b.t.Stop()
	}
	b.n += int64(n)
	switch {
	case b.limit >= 0 && b.n > b.limit:
		return n, b.where(fmt.Errorf("%w: more than %d bytes (Endpoint.MaxBodySize)", ErrBodyTooLarge, b.limit))
	case err != nil && errors.Is(context.Cause(b.ctx), ErrIdleTimeout):
		return n, b.where(fmt.Errorf("%w for %v (Endpoint.IdleTimeout), after %d bytes of the body", ErrIdleTimeout, b.idle, b.n))
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	if b.t != nil {
		b.t.Stop()
	}
	b.cancel(nil)
	return err
}

// send sends req, made with ctx and its cancel, under the header timeout,
// and puts the response's body under the idle timeout and the size limit
// (< 0: none).
func (c *httpClient) send(ctx context.Context, cancel context.CancelCauseFunc, req *http.Request, limit int64) (*http.Response, error) {
	u := req.URL.String()
	t := startTimer(c.e.HeaderTimeout, ErrHeaderTimeout, cancel)
	resp, err := c.client.Do(req)
	if t != nil {
		t.Stop()
	}
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(ctx), ErrHeaderTimeout) {
			return nil, &responseError{method: c.method, url: Redact(u), retryable: true,
				err: fmt.Errorf("%w within %v (Endpoint.HeaderTimeout)", ErrHeaderTimeout, c.e.HeaderTimeout)}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, with the query
		}
		retry := true // a refused connection, a reset: worth another try
		var r interface{ Retryable() bool }
		if errors.As(err, &r) {
			retry = r.Retryable()
		}
		return nil, &responseError{method: c.method, url: Redact(u), err: err, retryable: retry}
	}
	b := &body{rc: resp.Body, ctx: ctx, cancel: cancel, limit: limit, idle: c.e.IdleTimeout,
		where: func(err error) error {
			return &responseError{method: c.method, url: Redact(u), err: err, retryable: errors.Is(err, ErrIdleTimeout)}
		}}
	b.t = startTimer(b.idle, ErrIdleTimeout, cancel)
	if b.t != nil {
		b.t.Stop() // runs only within a Read
	}
	resp.Body = b
	if limit >= 0 && resp.ContentLength > limit && resp.StatusCode/100 == 2 { // an error's body is cut to its excerpt
		resp.Body.Close()
		return nil, b.where(fmt.Errorf("%w: Content-Length %d, more than %d bytes (Endpoint.MaxBodySize)", ErrBodyTooLarge, resp.ContentLength, limit))
	}
	return resp, nil
}
