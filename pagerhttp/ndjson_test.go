package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

var streamRetry = pager.Retry(pager.RetryPolicy{Attempts: 4, MinDelay: time.Millisecond, MaxDelay: time.Millisecond})

func TestNDJSONStream(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		label     string
		faults    apisim.Faults
		path      string
		offset    string // Endpoint.OffsetParam
		opts      []pager.Option
		wantN     int  // records delivered, in order
		wantErr   bool // a *PageError at offset wantN
		wantLines bool // the error is a *LineError
		reason    string
	}{
		{label: "whole", path: apisim.Stream, wantN: 1000},
		{label: "logs, Accept header", path: apisim.Logs, wantN: 1000, reason: "/logs streams when asked for NDJSON"},
		{label: "heartbeats", path: apisim.Stream, faults: apisim.Faults{Heartbeat: 7}, wantN: 1000, reason: "blank lines are skipped"},
		{
			label: "error line", path: apisim.Stream, faults: apisim.Faults{ErrorLine: 300},
			wantN: 300, wantErr: true, wantLines: true,
			reason: "a 200 whose stream ends in a plain-text error line is an error after the records before it",
		},
		{
			label: "error line, resumed", path: apisim.Stream, faults: apisim.Faults{ErrorLine: 300}, offset: "offset",
			opts: []pager.Option{streamRetry}, wantN: 1000,
			reason: "each request breaks after 300 more records; resuming at the offset delivers each once",
		},
		{
			label: "resets, resumed", path: apisim.Stream, faults: apisim.Faults{Reset: 0.5}, offset: "offset",
			opts: []pager.Option{streamRetry}, wantN: 1000,
			reason: "connections reset halfway through: resumed where they broke",
		},
		{
			label: "5xx, retried", path: apisim.Stream, faults: apisim.Faults{ServerError: 0.5},
			opts: []pager.Option{streamRetry}, wantN: 1000,
		},
		{
			label: "start offset", path: apisim.Stream, offset: "offset",
			opts: []pager.Option{pager.StartOffset(250)}, wantN: 750,
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := sim(t, apisim.Config{N: 1000, Seed: 7, Faults: tt.faults})
			ep := pagerhttp.Endpoint{URL: s.URL + tt.path, OffsetParam: tt.offset}
			src := pagerhttp.NDJSONStream[apisim.Record](ep, tt.opts...)
			first := 1
			if tt.label == "start offset" {
				first = 251
			}
			n := 0
			var err error
			for p, e := range src.Pages(ctx) {
				if err = e; e != nil {
					break
				}
				for i, r := range p.Items {
					if r.ID != first+n || p.Offset+i != first-1+n {
						t.Fatalf("item %d: record %d at offset %d: %s", n, r.ID, p.Offset+i, tt.reason)
					}
					n++
				}
			}
			if n != tt.wantN {
				t.Errorf("got %d records, want %d: %s", n, tt.wantN, tt.reason)
			}
			var pe *pager.PageError
			var le *pager.LineError
			switch {
			case !tt.wantErr && err != nil:
				t.Errorf("got %v, want no error: %s", err, tt.reason)
			case tt.wantErr && (!errors.As(err, &pe) || pe.Offset != tt.wantN):
				t.Errorf("got %v, want a *PageError at offset %d: %s", err, tt.wantN, tt.reason)
			case tt.wantLines && !errors.As(err, &le):
				t.Errorf("got %v, want a *LineError in it", err)
			}
		})
	}
}

func TestNDJSONStreamHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Accept"); got != "application/x-ndjson" {
			t.Errorf("got Accept %q, want application/x-ndjson", got)
		}
		http.Error(w, "no such table", http.StatusNotFound)
	}))
	defer srv.Close()
	_, err := pager.Collect(pager.All(context.Background(), pagerhttp.NDJSONStream[int](pagerhttp.Endpoint{URL: srv.URL}, streamRetry)))
	var he *pagerhttp.HTTPError
	var pe *pager.PageError
	if !errors.As(err, &he) || he.StatusCode != 404 || !errors.As(err, &pe) || pe.Attempts != 1 {
		t.Errorf("got %v, want a *PageError around a 404 *HTTPError, not retried", err)
	}
}

// TestNDJSONStreamBreak breaks out of an endless stream: the connection is
// closed, and the server sees it.
func TestNDJSONStreamBreak(t *testing.T) {
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(gone)
		w.Header().Set("Content-Type", "application/x-ndjson")
		rc := http.NewResponseController(w)
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "%d\n", i); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	n := 0
	for v, err := range pager.All(context.Background(), pagerhttp.NDJSONStream[int](pagerhttp.Endpoint{URL: srv.URL})) {
		if err != nil || v != n {
			t.Fatalf("got (%d, %v), want %d", v, err, n)
		}
		if n++; n == 20 {
			break
		}
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the server still streams after the loop broke")
	}
}

// TestNDJSONStreamReportStops: an error from a SkipBadLines report stops the
// walk as the caller asked; it is not a broken stream to resume.
func TestNDJSONStreamReportStops(t *testing.T) {
	s := sim(t, apisim.Config{N: 1000, Seed: 7, Faults: apisim.Faults{ErrorLine: 300}})
	errEnough := errors.New("enough")
	src := pagerhttp.NDJSONStream[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Stream, OffsetParam: "offset"},
		streamRetry, pager.SkipBadLines(func(*pager.LineError) error { return errEnough }))
	recs, err := pager.Collect(pager.All(context.Background(), src))
	if err != errEnough || len(recs) != 300 {
		t.Errorf("got %d records and %v, want 300 and the report's error as is", len(recs), err)
	}
	if got := s.Stats().Requests; got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}
