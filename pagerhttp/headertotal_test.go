package pagerhttp_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestHeaderTotal(t *testing.T) {
	tests := []struct {
		label  string
		header http.Header
		name   string
		want   int
		reason string
	}{
		{"x-total-count", http.Header{"X-Total-Count": {"1234"}}, "", 1234, "json-server 0.17, Rails, Express"},
		{"content-range", http.Header{"Content-Range": {"0-99/1234"}}, "", 1234, "PostgREST"},
		{"content-range empty", http.Header{"Content-Range": {"*/0"}}, "", 0, "an empty listing: 0 is unknown, and the empty page ends the walk"},
		{"content-range unknown", http.Header{"Content-Range": {"0-99/*"}}, "", 0, "PostgREST without Prefer: count=exact"},
		{"content-range items", http.Header{"Content-Range": {"items 0-99/1234"}}, "", 1234, "the unit items"},
		{"content-range bytes", http.Header{"Content-Range": {"bytes 0-99/1234"}}, "", 0, "a range of bytes counts no items"},
		{"both", http.Header{"X-Total-Count": {"7"}, "Content-Range": {"0-1/9"}}, "", 7, "X-Total-Count first"},
		{"named", http.Header{"X-Total": {"42"}, "X-Total-Count": {"7"}}, "X-Total", 42, "GitLab's X-Total, named"},
		{"none", http.Header{"X-Total-Count": {"7"}}, "-", 0, `"-" reads none`},
		{"garbage", http.Header{"X-Total-Count": {"many"}}, "", 0, "not a count"},
		{"negative", http.Header{"X-Total-Count": {"-3"}}, "", 0, "not a count"},
	}
	for _, tt := range tests {
		if got := pagerhttp.HeaderTotal(tt.header, tt.name); got != tt.want {
			t.Errorf("%s: got %d, want %d: %s", tt.label, got, tt.want, tt.reason)
		}
	}
}

func TestTotalFromHeaders(t *testing.T) {
	const n = 47
	tests := []struct {
		label string
		src   func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec]
		pages int64
	}{
		{"json-server 0.17 X-Total-Count, offsets", func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.JSONServer017, Client: c, LimitParam: "_limit", OffsetParam: "_start"}
			return pager.Offset(pagerhttp.OffsetFetch[Rec](ep), append(opts, pager.PageSize(10))...)
		}, 5},
		{"json-server 0.17 X-Total-Count, pages", func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.JSONServer017, Client: c, LimitParam: "_limit", PageParam: "_page"}
			return pager.PageNumber(pagerhttp.PageNumberFetch[Rec](ep), append(opts, pager.PageSize(10))...)
		}, 5},
		{"PostgREST Content-Range", func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.PostgREST + "?select=id,name&order=id", Client: c,
				Header: http.Header{"Prefer": {"count=exact"}}}
			return pager.Offset(pagerhttp.OffsetFetch[Rec](ep), append(opts, pager.PageSize(10))...)
		}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			checkStyle(t, style[Rec]{n: n, id: recID, src: tt.src})
			s := sim(t, apisim.Config{N: n})
			if _, err := pager.Collect(pager.All(context.Background(), tt.src(s.URL, client(t)))); err != nil {
				t.Fatal(err)
			}
			if got := s.Stats().Requests; got != tt.pages {
				t.Errorf("got %d requests, want %d: the total in a header ends the walk with no request past the end", got, tt.pages)
			}
		})
	}
}
