package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// guessFor guesses from a first page with header and body, under the
// flags args.
func guessFor(t *testing.T, header http.Header, body string, args ...string) (*guessed, *options, error) {
	t.Helper()
	o, err := parseFlags(append(args, "http://x/list"), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if header == nil {
		header = http.Header{}
	}
	a := &answer{url: "http://x/list", header: header, body: []byte(body)}
	g, err := guess(a, o)
	if err == nil {
		g.apply(o)
	}
	return g, o, err
}

func TestGuess(t *testing.T) {
	tests := []struct {
		body, link string
		args       []string
		want       string // style, items and the flags set: o.planFlags()
		wantErrHas string
	}{
		{body: `[]`, want: "-style=offset -items=. -offset-param=offset"},
		{body: `[{"id": 1}]`, link: `<http://x/?page=2>; rel="next"`, want: "-style=link -items=. -limit-param=-"},
		{body: `[]`, args: []string{"-items", "data"}, wantErrHas: "-items data: the body is a bare array; use -items ."},
		{body: `{"data": []}`, args: []string{"-items", "."}, wantErrHas: "-items . says a bare array, but the body is a JSON object (fields: data)"},
		{body: `{"runs": [], "total": 3}`, want: "-style=offset -items=runs -offset-param=offset -total-field=total"},
		{body: `{"runs": [{}], "count": 1, "total": 3, "limit": 100, "offset": 0}`, want: "-style=offset -items=runs -limit-param=limit -offset-param=offset -total-field=total"},
		{body: `{"products": [{}], "total": 194, "skip": 0, "limit": 30}`, want: "-style=offset -items=products -limit-param=limit -offset-param=skip -total-field=total"},
		{body: `{"total_rows": 9, "offset": 0, "rows": [{}]}`, want: "-style=offset -items=rows -offset-param=skip -total-field=total_rows"},
		{body: `{"data": [], "next_cursor": null}`, want: "-style=token -items=data -next-field=next_cursor -limit-param=- -token-param=cursor"},
		{body: `{"ok": true, "channels": [{}], "response_metadata": {"next_cursor": "dGVhbTpD"}}`, want: "-style=token -items=channels -next-field=response_metadata.next_cursor -limit-param=- -token-param=cursor"},
		{body: `{"items": [], "page": 1, "per_page": 20}`, want: "-style=page -items=items -limit-param=- -page-param=page"},
		{body: `{"content": [{}], "number": 0, "size": 20, "totalPages": 4}`, want: "-style=page -items=content -limit-param=- -page-param=page -total-pages-field=totalPages -pages-from-zero"},
		{body: `{"data": [{}], "perPage": 10, "totalPages": 5, "totalItems": 42, "currentPage": 1}`, want: "-style=page -items=data -limit-param=- -page-param=page -total-field=totalItems -total-pages-field=totalPages"},
		{body: `{"count": 3, "next": "http://x/list?page=2", "previous": null, "results": [{}]}`, want: "-style=nexturl -items=results -next-field=next -limit-param=- -total-field=count"},
		{body: `{"data": [{}], "links": {"next": {"href": "/list?page[number]=2"}}, "meta": {"total": 5}}`, want: "-style=nexturl -items=data -next-field=links.next -limit-param=- -total-field=meta.total"},
		{body: `{"_embedded": {"records": [{}]}, "_links": {"next": {"href": "http://x/list?page=1"}}, "page": {"totalPages": 3}}`, want: "-style=nexturl -items=_embedded.records -next-field=_links.next -limit-param=-"},
		{body: `{"@odata.context": "x", "value": [{}], "@odata.nextLink": "http://x/list?$skiptoken=a"}`, want: "-style=nexturl -items=value -next-field=@odata.nextLink -limit-param=-"},
		{body: `{"totalSize": 5, "done": false, "records": [{}], "nextRecordsUrl": "/q/01-2"}`, want: "-style=nexturl -items=records -next-field=nextRecordsUrl -limit-param=- -total-field=totalSize"},
		{body: `{"first": 1, "prev": null, "next": 2, "last": 3, "pages": 3, "items": 25, "data": [{}]}`, want: "-style=nexturl -items=data -next-field=next -limit-param=- -page-param=_page -total-field=items"},
		{body: `{"messages": [{"id": 1}], "tags": ["a", "b"], "has_more": false}`, want: "-style=offset -items=messages -offset-param=offset -has-more-field=has_more"},
		{body: `{"messages": [{"id": 1}], "users": [{"id": 2}]}`, wantErrHas: "several fields of the first page hold arrays (messages, users); set -items"},
		{body: `{"items": [], "tags": [], "total": 0}`, want: "-style=offset -items=items -offset-param=offset"},
		{body: `{"a": [], "b": []}`, wantErrHas: "several fields of the first page hold arrays (a, b)"},
		{body: `{"a": [], "b": []}`, args: []string{"-items", "b"}, want: "-style=offset -items=b -offset-param=offset"},
		{body: `{"count": 0}`, wantErrHas: "no field of the first page holds an array (fields: count); set -items"},
		{body: `<html>`, wantErrHas: "neither a JSON object nor an array"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.link != "" {
			h.Set("Link", tt.link)
		}
		_, o, err := guessFor(t, h, tt.body, tt.args...)
		if tt.wantErrHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrHas) {
				t.Errorf("%s: got %v, want an error with %q", tt.body, err, tt.wantErrHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if got := o.planFlags(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.body, got, tt.want)
		}
	}
}

// TestDetectStyles exports each imitation of a real API whose first
// response shows how to go on, with no flag but the URL: every record
// once, in order, and no page asked for twice (the requests counted).
func TestDetectStyles(t *testing.T) {
	const n = 345
	tests := []struct {
		path     string
		args     []string
		requests int64
		reason   string
	}{
		{path: apisim.DRF, requests: 35, reason: "pages of 10; next null on the last"},
		{path: apisim.JSONAPI, requests: 35, reason: "pages of 10; links.next a relative link object"},
		{path: apisim.HAL, requests: 18, reason: "pages of 20 from 0; _links.next.href absent on the last"},
		{path: apisim.OData, requests: 4, reason: "pages of 100; @odata.nextLink absent on the last"},
		{path: apisim.Salesforce + "?q=SELECT+Name+FROM+Record__c", args: []string{"-H", "Sforce-Query-Options: batchSize=200"}, requests: 2, reason: "batches of 200; nextRecordsUrl a path"},
		{path: apisim.JSONServer, requests: 35, reason: "pages of 10; next a page number, sent as _page"},
		{path: apisim.JSONServer017, requests: 3 + 5, reason: "X-Total-Count; offset, skip and start repeat the first page (3 requests), _start and _limit page: 10 items, 3 pages of 100, 35"},
		{path: apisim.PostgREST, args: []string{"-H", "Prefer: count=exact"}, requests: 1, reason: "the whole listing, Content-Range: 0-344/345"},
		{path: apisim.Slack, requests: 4, reason: "response_metadata.next_cursor, sent as cursor"},
		{path: apisim.Runs, requests: 4, reason: "a total, and limit and offset echoed"},
		{path: apisim.Issues, requests: 5, reason: "a bare array, limit 50 then 100, and the empty page after"},
		{path: apisim.Logs, requests: 4, reason: "total and has_more"},
		{path: apisim.Objects, requests: 4, reason: "nextPageToken, sent as pageToken"},
		{path: apisim.Events, requests: 19, reason: "page numbers echoed, pages of 20, and the empty page after"},
		{path: apisim.Repos, requests: 12, reason: "a Link header, pages of 30"},
		{path: apisim.Stream, requests: 1, reason: "a stream"},
	}
	for _, tt := range tests {
		t.Run(strings.Trim(tt.path, "/"), func(t *testing.T) {
			s := sim(t, apisim.Config{N: n, Seed: 7})
			code, stdout, stderr := pagecat(t, append(tt.args, s.URL+tt.path)...)
			if code != 0 {
				t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
			}
			got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			seen := map[string]bool{}
			for _, line := range got {
				seen[line] = true
			}
			if len(got) != n || len(seen) != n {
				t.Errorf("got %d lines, %d distinct; want %d", len(got), len(seen), n)
			}
			if r := s.Stats().Requests; r != tt.requests {
				t.Errorf("got %d requests, want %d: %s", r, tt.requests, tt.reason)
			}
		})
	}
}

// TestDetectNeedsFlags: imitations whose first response does not show
// how to go on (a keyset, a cursor in headers) fail, writing nothing,
// with one line that names the flags to set; none loops.
func TestDetectNeedsFlags(t *testing.T) {
	for _, path := range []string{apisim.Stripe, apisim.Since, apisim.After, apisim.Cursors, apisim.Nomad, apisim.Azure} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			s := sim(t, apisim.Config{N: 345, Seed: 7})
			code, stdout, stderr := pagecat(t, s.URL+path)
			if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "set -") {
				t.Errorf("got exit %d, %d bytes; stderr:\n%s", code, len(stdout), stderr)
			}
			if r := s.Stats().Requests; r > 6 {
				t.Errorf("got %d requests, want at most 6: the first, and 4 guesses checked, and a probe", r)
			}
		})
	}
}
