package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// TestCannotHealNotRetried: errors that the same request would meet again
// get one attempt under Retry(Attempts: 5), and say why.
func TestCannotHealNotRetried(t *testing.T) {
	tests := []struct {
		label   string
		items   string // Endpoint.Items
		link    bool   // a Link walk, else an Offset walk
		body    string
		header  map[string]string
		wantMsg string
	}{
		{label: "not JSON", body: `oops, an error`, wantMsg: "invalid character"},
		{label: "HTML", body: "<!doctype html><html><body>Sign in</body></html>", header: map[string]string{"Content-Type": "text/html"}, wantMsg: "the body is HTML or XML, not JSON"},
		{label: "wrong item type", body: `[{"id": "one"}]`, wantMsg: "cannot unmarshal string"},
		{label: "object, bare array expected", body: `{"data": []}`, wantMsg: "set Endpoint.Items"},
		{label: "array, object expected", items: "data", body: `[]`, wantMsg: "leave Endpoint.Items empty"},
		{label: "missing items field", items: "data", body: `{"results": []}`, wantMsg: `no field "data"`},
		{label: "empty body", body: ``, wantMsg: "the body is empty"},
		{label: "too large", body: `[` + strings.Repeat(`{"id": 1},`, 200) + `{"id": 1}]`, wantMsg: "MaxBodySize"},
		{label: "refused origin", link: true, body: `[{"id": 1}]`, header: map[string]string{"Link": `<http://localhost:1/x>; rel="next"`}, wantMsg: "another origin"},
		{label: "refused scheme", link: true, body: `[{"id": 1}]`, header: map[string]string{"Link": `<ftp://example.com/x>; rel="next"`}, wantMsg: "only http and https"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				fmt.Fprint(w, tt.body)
			})
			ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: tt.items, MaxBodySize: 1000}
			src := pager.Offset(pagerhttp.OffsetFetch[Rec](ep), retry5)
			if tt.link {
				src = pagerhttp.Link[Rec](ep, retry5)
			}
			_, err := pager.Collect(pager.All(context.Background(), src))
			var pe *pager.PageError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("got %v, want a *PageError saying %q", err, tt.wantMsg)
			}
			if got := len(srv.requests()); pe.Attempts != 1 || got != 1 {
				t.Errorf("got %d attempts and %d requests, want 1: %v", pe.Attempts, got, err)
			}
		})
	}
}

// TestCutShortRetried: a JSON body cut short, whole as far as HTTP can tell
// (a proxy that gave up), may come whole next time.
func TestCutShortRetried(t *testing.T) {
	var n atomic.Int64
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			fmt.Fprint(w, `[{"id": 1}, {"id"`)
			return
		}
		fmt.Fprint(w, `[]`)
	})
	src := pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Client: client(t)}), retry5)
	if _, err := pager.Collect(pager.All(context.Background(), src)); err != nil || n.Load() != 2 {
		t.Errorf("got %v after %d requests, want no error after 2", err, n.Load())
	}
}
