package pagerhttp_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// TestOpenLiveStream opens a stream that sends two lines and then waits:
// Open returns, and the lines are read, while it waits. It asked for
// identity encoding.
func TestOpenLiveStream(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Accept-Encoding"); got != "identity" {
			t.Errorf("Accept-Encoding %q, want identity", got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept %q, want application/json", got)
		}
		fmt.Fprint(w, "{\"id\":1}\n{\"id\":2}\n")
		w.(http.Flusher).Flush()
		<-release
	}))
	defer s.Close()
	defer close(release)
	resp, err := pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL}, "", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for want := 1; want <= 2; want++ {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("{\"id\":%d}\n", want) {
			t.Fatalf("line %d: got %q, %v", want, line, err)
		}
	}
}

// TestOpenGzipAnyway gets a gzipped body though it asked for identity:
// Open decompresses it. A body that says gzip but is not fails.
func TestOpenGzipAnyway(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		if r.URL.Path == "/liar" {
			fmt.Fprint(w, "[1, 2, 3]")
			return
		}
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, "[1, 2, 3]")
		zw.Close()
	}))
	defer s.Close()
	resp, err := pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL}, "", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "[1, 2, 3]" {
		t.Errorf("got %q, %v", b, err)
	}
	_, err = pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL + "/liar"}, "", "application/json")
	var r interface{ Retryable() bool }
	if err == nil || !strings.Contains(err.Error(), "Content-Encoding: gzip, but is not") || !errors.As(err, &r) || r.Retryable() {
		t.Errorf("a body that is not gzip: got %v", err)
	}
}

// TestOpenErrors: a status other than 2xx is an *HTTPError, retried by a
// pager.Retry policy as a walk's would be; no answer within the header
// timeout is retried too.
func TestOpenErrors(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			http.Error(w, "no such list", http.StatusNotFound)
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		default:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer s.Close()
	var he *pagerhttp.HTTPError
	_, err := pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL + "/gone"}, "", "application/json")
	if !errors.As(err, &he) || he.StatusCode != 404 || he.Retryable() {
		t.Errorf("404: got %v", err)
	}
	_, err = pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL + "/busy"}, "", "application/json")
	if !errors.As(err, &he) || he.StatusCode != 503 || !he.Retryable() {
		t.Errorf("503: got %v", err)
	}
	_, err = pagerhttp.Open(context.Background(), pagerhttp.Endpoint{URL: s.URL + "/slow", HeaderTimeout: 20 * time.Millisecond}, "", "application/json")
	var r interface{ Retryable() bool }
	if !errors.Is(err, pagerhttp.ErrHeaderTimeout) || !errors.As(err, &r) || !r.Retryable() {
		t.Errorf("slow: got %v", err)
	}
}

// TestNDJSONStreamIdentity: a stream asks for Accept-Encoding: identity,
// and one gzipped nonetheless is read.
func TestNDJSONStreamIdentity(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Accept-Encoding"); got != "identity" {
			t.Errorf("Accept-Encoding %q, want identity", got)
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, "{\"id\":1}\n{\"id\":2}\n")
		zw.Close()
	}))
	defer s.Close()
	got, err := pager.Collect(pager.All(context.Background(), pagerhttp.NDJSONStream[json.RawMessage](pagerhttp.Endpoint{URL: s.URL})))
	if err != nil || len(got) != 2 || string(got[1]) != `{"id":2}` {
		t.Errorf("got %q, %v", got, err)
	}
}

// TestOpenOrigin: a target off e.URL's origin is refused before any
// request, as a next URL there is.
func TestOpenOrigin(t *testing.T) {
	var asked int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked++ }))
	defer other.Close()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "[]") }))
	defer s.Close()
	e := pagerhttp.Endpoint{URL: s.URL, Header: http.Header{"Authorization": {"Bearer x"}}}
	var oe *pagerhttp.OriginError
	if _, err := pagerhttp.Open(context.Background(), e, other.URL+"/steal", "application/json"); !errors.As(err, &oe) || asked != 0 {
		t.Errorf("got %v and %d requests to the other origin", err, asked)
	}
	resp, err := pagerhttp.Open(context.Background(), e, s.URL+"/?page=2", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
