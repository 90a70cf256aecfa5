package main

import (
	"net/http"
	"sync/atomic"
	"time"
)

// A watcher is an http.RoundTripper that counts what the walk met on the
// wire: answers that asked it to wait for a quota (429, or 503 with a
// Retry-After), and other failures the walk retries. Progress shows the
// counts; the demo narrates each as it happens, through event.
type watcher struct {
	next  http.RoundTripper
	event func(resp *http.Response, err error) // nil: none

	quota     atomic.Int64 // answers that asked to wait
	quotaWait atomic.Int64 // how long they asked for, in nanoseconds
	failed    atomic.Int64 // other 5xx answers and requests with no answer
}

func (w *watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	switch {
	case err != nil:
		w.failed.Add(1)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		w.quota.Add(1)
		w.quotaWait.Add(int64(retryAfter(resp.Header.Get("Retry-After"))))
	case resp.StatusCode >= 500:
		w.failed.Add(1)
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
