package pagerhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// An HTTPError reports a response whose status was not 2xx. By default a
// walk retries it (as [RetryPolicy] allows) if the status is 408, 429 or
// 5xx, and not otherwise; see [HTTPError.Retryable].
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int         // 429
	Status     string      // "429 Too Many Requests"
	Header     http.Header // the response's
	Body       []byte      // the first KiB of the body

	retryAfter time.Duration
}

// bodyExcerpt is how much of an error response's body an HTTPError keeps.
const bodyExcerpt = 1 << 10

func newHTTPError(req *http.Request, resp *http.Response, now time.Time) *HTTPError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, bodyExcerpt))
	return &HTTPError{
		Method:     req.Method,
		URL:        req.URL.String(),
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Body:       body,
		retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pagerhttp: %s %s: %s", e.Method, e.URL, e.Status)
	if body := bytes.TrimSpace(e.Body); len(body) > 0 {
		// One line, however the server formatted its message.
		fmt.Fprintf(&b, ": %s", strings.Join(strings.Fields(string(body)), " "))
	}
	return b.String()
}

// RetryAfter returns how long the server asked to wait before the next
// request in its Retry-After header (as seconds or an HTTP date), or 0.
func (e *HTTPError) RetryAfter() time.Duration { return e.retryAfter }

// Retryable reports whether the request may succeed if sent again: for a
// status of 408 (Request Timeout), 429 (Too Many Requests) or 5xx.
func (e *HTTPError) Retryable() bool {
	return e.StatusCode == http.StatusRequestTimeout ||
		e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode >= 500
}

// parseRetryAfter parses a Retry-After value, seconds or an HTTP date,
// into a wait from now; 0 if there is none or it is not valid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxWaitSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// maxWaitSecs bounds the seconds read from a header, so that converting
// them to a Duration cannot overflow: a year is more than any cap.
const maxWaitSecs = 365 * 24 * 3600
