package pagerhttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// gzipBomb returns n bytes (rounded up to MiB) of a JSON array of spaces,
// gzipped: about a thousandth of n. It is one gzip member repeated, which
// readers take as one stream.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	member := func(prefix string) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write([]byte(prefix))
		zw.Write(bytes.Repeat([]byte(" "), 1<<20))
		zw.Close()
		return buf.Bytes()
	}
	return append(member("["), bytes.Repeat(member(""), n>>20)...)
}

// wait blocks until the request is canceled, or a while: no handler of a
// test runs for long.
func wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// TestBodyLimit: a page body past MaxBodySize fails as soon as the bound
// is passed, after decompression, and is not retried.
func TestBodyLimit(t *testing.T) {
	const limit = 1 << 20
	bomb := gzipBomb(t, 64<<20)
	tests := []struct {
		label   string
		handler func(w http.ResponseWriter, r *http.Request)
		reason  string
	}{
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		}, "64 MiB from 64 KiB on the wire: counted after decompression"},
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat(`{"id": 1}, `, 1000))
			w.Write([]byte("["))
			for i := 0; i < 100_000 && r.Context().Err() == nil; i++ {
				w.Write(chunk)
			}
		}, "a body that never ends (here: up to 1 GB)"},
		{"Content-Length too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			wait(r)
		}, "a 1 GB page refused from its header, without reading it"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := newRecorder(t, false, tt.handler)
			ep := pagerhttp.Endpoint{URL: srv.URL + "/items?api_key=s3cret", Client: client(t), MaxBodySize: limit}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := pager.Collect(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep), retry5)))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var pe *pager.PageError
			if !errors.Is(err, pagerhttp.ErrBodyTooLarge) || !errors.As(err, &pe) || pe.Attempts != 1 {
				t.Fatalf("got %v, want a *PageError around ErrBodyTooLarge after 1 attempt: %s", err, tt.reason)
			}
			if msg := err.Error(); !strings.Contains(msg, srv.host()) || strings.Contains(msg, "s3cret") || !strings.Contains(msg, "MaxBodySize") {
				t.Errorf("got message %q: want the host, the bound's name, not the key", msg)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*limit {
				t.Errorf("allocated %d MiB for a %d MiB bound: the body was read past it", alloc>>20, limit>>20)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestBodyLimitDefault: 64 MiB unless set.
func TestBodyLimitDefault(t *testing.T) {
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(pagerhttp.DefaultMaxBodySize+1))
		w.WriteHeader(http.StatusOK)
	})
	_, err := pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Client: client(t)})(context.Background(), pager.Request{Limit: 10})
	if !errors.Is(err, pagerhttp.ErrBodyTooLarge) || !strings.Contains(err.Error(), strconv.Itoa(pagerhttp.DefaultMaxBodySize)) {
		t.Errorf("got %v, want ErrBodyTooLarge at %d bytes", err, pagerhttp.DefaultMaxBodySize)
	}
}

// ndjsonTrickle writes n lines, one every gap, flushing each; then stalls
// until the request is canceled if stall.
func ndjsonTrickle(n int, gap time.Duration, stall bool) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := 1; i <= n && r.Context().Err() == nil; i++ {
			fmt.Fprintf(w, "{\"id\": %d}\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(gap)
		}
		if stall {
			wait(r)
		}
	}
}

// TestIdleTimeout: the time without bytes is bounded, not the exchange: a
// healthy stream that outlasts the idle timeout many times over survives;
// a stalled server fails after it, with the caller's Client as with the
// default one. (That a slow loop body does not count is
// TestIdleOnlyWithinRead's.)
func TestIdleTimeout(t *testing.T) {
	// The margins are wide: the machine may be loaded.
	tests := []struct {
		label     string
		handler   func(w http.ResponseWriter, r *http.Request)
		idle      time.Duration // Endpoint.IdleTimeout
		ownClient bool
		wantN     int
		wantErr   error
		reason    string
	}{
		// (A line every tenth of a 250ms timeout failed once in CI, on a
		// machine loaded 15 deep: a gap of 250ms is not rare there.)
		{"healthy trickle", ndjsonTrickle(60, 50*time.Millisecond, false), time.Second, true, 60, nil,
			"60 lines over 3 idle timeouts, a line every twentieth of one"},
		{"stalled", ndjsonTrickle(3, 0, true), 50 * time.Millisecond, true, 3, pagerhttp.ErrIdleTimeout, "3 lines, then nothing"},
		{"stalled, default client", ndjsonTrickle(3, 0, true), 50 * time.Millisecond, false, 3, pagerhttp.ErrIdleTimeout,
			"the default client has the same bound"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := newRecorder(t, false, tt.handler)
			ep := pagerhttp.Endpoint{URL: srv.URL, IdleTimeout: tt.idle}
			if tt.ownClient {
				ep.Client = client(t)
			}
			start := time.Now()
			n := 0
			var err error
			for rec, e := range pager.All(context.Background(), pagerhttp.NDJSONStream[Rec](ep)) {
				if err = e; err != nil {
					break
				}
				n++
				if rec.ID != n {
					t.Fatalf("item %d has id %d", n, rec.ID)
				}
			}
			took := time.Since(start)
			if n != tt.wantN || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("got %d items and %v, want %d and %v: %s", n, err, tt.wantN, tt.wantErr, tt.reason)
			}
			if tt.wantErr != nil && (took > 2*time.Second || !strings.Contains(err.Error(), "IdleTimeout")) {
				t.Errorf("failed after %v with %q: want about %v, naming the bound", took, err, tt.idle)
			}
		})
	}
}

// TestIdleTimeoutPage: a page body that stalls halfway is retried, and
// fails after the idle timeout on every attempt.
func TestIdleTimeoutPage(t *testing.T) {
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id": 1}, `)
		w.(http.Flusher).Flush()
		wait(r)
	})
	ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), IdleTimeout: 30 * time.Millisecond}
	retry := pager.Retry(pager.RetryPolicy{Attempts: 2, MinDelay: time.Millisecond, MaxDelay: time.Millisecond})
	_, err := pager.Collect(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep), retry)))
	var pe *pager.PageError
	if !errors.Is(err, pagerhttp.ErrIdleTimeout) || !errors.As(err, &pe) || pe.Attempts != 2 {
		t.Errorf("got %v, want ErrIdleTimeout after 2 attempts", err)
	}
}

// TestHeaderTimeout: a server that never answers.
func TestHeaderTimeout(t *testing.T) {
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) { wait(r) })
	for _, ownClient := range []bool{false, true} {
		ep := pagerhttp.Endpoint{URL: srv.URL, HeaderTimeout: 50 * time.Millisecond}
		if ownClient {
			ep.Client = client(t)
		}
		start := time.Now()
		_, err := pagerhttp.OffsetFetch[Rec](ep)(context.Background(), pager.Request{Limit: 10})
		if !errors.Is(err, pagerhttp.ErrHeaderTimeout) || time.Since(start) > 2*time.Second {
			t.Errorf("caller's client %t: got %v after %v, want ErrHeaderTimeout after about 50ms", ownClient, err, time.Since(start))
		}
	}
}

// TestFreshTokensEmptyPages: a token server that hands out a fresh token
// with every empty page (77,656 requests in 10 s before) stops at
// pager.MaxEmptyPages.
func TestFreshTokensEmptyPages(t *testing.T) {
	var n atomic.Int64
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data": [], "nextPageToken": "t%d"}`, n.Add(1))
	})
	src := pager.Token(pagerhttp.TokenFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: "data"}))
	_, err := pager.Collect(pager.Take(pager.All(context.Background(), pager.Prefetch(src, 4)), 1))
	var pe *pager.PageError
	if !errors.Is(err, pager.ErrNoProgress) || !errors.As(err, &pe) || pe.Token != "t100" {
		t.Fatalf("got %v, want ErrNoProgress with the token t100", err)
	}
	if got := len(srv.requests()); got != 100 {
		t.Errorf("got %d requests, want 100", got)
	}
}
