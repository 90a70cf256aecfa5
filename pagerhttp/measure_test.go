//go:build measure

package pagerhttp_test

// The attacks of RELIABILITY.md's "Safe at the edge" table, each against
// the defaults, one per test so that each can be measured on its own:
//
//	go test -c -tags measure -o /tmp/pagerhttp.test ./pagerhttp
//	/usr/bin/time -v /tmp/pagerhttp.test -test.run 'TestMeasure/gzip' -test.v

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestMeasure(t *testing.T) {
	ctx := context.Background()
	offsetWalk := func(ep pagerhttp.Endpoint) error {
		_, err := pager.Collect(pager.Take(pager.All(ctx, pager.Offset(pagerhttp.OffsetFetch[Rec](ep))), 1))
		return err
	}
	tests := []struct {
		label string
		run   func(t *testing.T) error
	}{
		{"gzip bomb", func(t *testing.T) error {
			// 1 MiB on the wire, 1 GiB of JSON once decompressed.
			var one bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
			zw.Write(bytes.Repeat([]byte(" "), 1<<20))
			zw.Close()
			var bomb bytes.Buffer
			zw, _ = gzip.NewWriterLevel(&bomb, gzip.BestCompression)
			zw.Write([]byte("["))
			zw.Close()
			for bomb.Len() < 1<<20 {
				bomb.Write(one.Bytes())
			}
			t.Logf("bomb: %d bytes, %d MiB decompressed", bomb.Len(), bomb.Len()/one.Len())
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(bomb.Bytes())
			})
			return offsetWalk(pagerhttp.Endpoint{URL: srv.URL})
		}},
		{"endless body", func(t *testing.T) error {
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				chunk := []byte(strings.Repeat(`{"id": 1}, `, 10000))
				w.Write([]byte("["))
				for r.Context().Err() == nil {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			})
			return offsetWalk(pagerhttp.Endpoint{URL: srv.URL})
		}},
		{"1 GB page", func(t *testing.T) error {
			item := []byte(`{"id": 1, "name": "` + strings.Repeat("x", 1000) + `"}`)
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("["))
				for n := 0; n < 1<<30 && r.Context().Err() == nil; n += len(item) + 1 {
					w.Write(item)
					w.Write([]byte(","))
				}
				w.Write(item)
				w.Write([]byte("]"))
			})
			return offsetWalk(pagerhttp.Endpoint{URL: srv.URL})
		}},
		{"fresh tokens, empty pages", func(t *testing.T) error {
			var n atomic.Int64
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"data": [], "nextPageToken": "t%d"}`, n.Add(1))
			})
			src := pager.Token(pagerhttp.TokenFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Items: "data"}))
			_, err := pager.Collect(pager.Take(pager.All(ctx, src), 1))
			t.Logf("%d requests", n.Load())
			return err
		}},
		{"Link to another host", func(t *testing.T) error {
			evil := newRecorder(t, false, linkPage(""))
			origin := newRecorder(t, false, linkPage(evil.URL+"/steal"))
			ep := pagerhttp.Endpoint{URL: origin.URL, Header: secretHeader()}
			_, err := pager.Collect(pager.All(ctx, pagerhttp.Link[Rec](ep)))
			t.Logf("requests to the other host: %d", len(evil.requests()))
			return err
		}},
		{"https to http", func(t *testing.T) error {
			var next string
			origin := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) { linkPage(next)(w, r) })
			next = strings.Replace(origin.URL, "https://", "http://", 1) + "/next"
			ep := pagerhttp.Endpoint{URL: origin.URL, Header: secretHeader(), Client: origin.Client()}
			_, err := pager.Collect(pager.All(ctx, pagerhttp.Link[Rec](ep)))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			start := time.Now()
			err := tt.run(t)
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
}
