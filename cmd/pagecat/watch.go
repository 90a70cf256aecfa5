package main

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A watcher is an http.RoundTripper that counts the answers that asked
// the walk to wait for a quota (429, or 503 with a Retry-After), which
// progress shows beside the retries; the demo narrates every answer as it
// comes, through event.
type watcher struct {
	next  http.RoundTripper
	event func(resp *http.Response, err error) // nil: none

	quota     atomic.Int64 // answers that asked to wait
	quotaWait atomic.Int64 // how long they asked for, in nanoseconds
}

func (w *watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "") {
		w.quota.Add(1)
		w.quotaWait.Add(int64(retryAfter(resp.Header.Get("Retry-After"))))
	}
	if w.event != nil {
		w.event(resp, err)
	}
	return resp, err
}

// waits returns the number of quota waits, and how long they asked for.
func (w *watcher) waits() (int64, time.Duration) {
	return w.quota.Load(), time.Duration(w.quotaWait.Load())
}

// CloseIdleConnections closes the idle connections of the transport it
// wraps, as http.Client.CloseIdleConnections asks.
func (w *watcher) CloseIdleConnections() {
	if c, ok := w.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// retryAfter parses a Retry-After header given in seconds; 0 if it is not.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 1<<20)) * time.Second
}
