package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
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
		{body: `{"count": 3, "next": "http://x/list?page=2", "previous": null, "results": [{}]}`, want: "-style=next -items=results -next-field=next -limit-param=- -total-field=count"},
		{body: `{"data": [{}], "links": {"next": {"href": "/list?page[number]=2"}}, "meta": {"total": 5}}`, want: "-style=next -items=data -next-field=links.next -limit-param=- -total-field=meta.total"},
		{body: `{"_embedded": {"records": [{}]}, "_links": {"next": {"href": "http://x/list?page=1"}}, "page": {"totalPages": 3}}`, want: "-style=next -items=_embedded.records -next-field=_links.next -limit-param=-"},
		{body: `{"@odata.context": "x", "value": [{}], "@odata.nextLink": "http://x/list?$skiptoken=a"}`, want: "-style=next -items=value -next-field=@odata.nextLink -limit-param=-"},
		{body: `{"totalSize": 5, "done": false, "records": [{}], "nextRecordsUrl": "/q/01-2"}`, want: "-style=next -items=records -next-field=nextRecordsUrl -limit-param=- -total-field=totalSize"},
		{body: `{"first": 1, "prev": null, "next": 2, "last": 3, "pages": 3, "items": 25, "data": [{}]}`, want: "-style=next -items=data -next-field=next -limit-param=- -page-param=_page -total-field=items"},
		{body: `{"messages": [{"id": 1}], "tags": ["a", "b"], "has_more": false}`, want: "-style=offset -items=messages -offset-param=offset -has-more-field=has_more"},
		{body: `{"messages": [{"id": 1}], "users": [{"id": 2}]}`, wantErrHas: "several fields of the first page hold arrays (messages, users); set -items"},
		{body: `{"errors": [], "data": {"items": [{}], "total": 1}}`, want: "-style=offset -items=data.items -offset-param=offset"},
		{body: `{"data": [{}], "included": [{}], "links": {"next": null}}`, want: "-style=next -items=data -next-field=links.next -limit-param=-"},
		{body: `{"messages": [{"id": 1}], "tags": ["a"], "errors": []}`, want: "-style=offset -items=messages -offset-param=offset"},
		{body: `{"names": ["a", "b"], "ok": true}`, want: "-style=offset -items=names -offset-param=offset"},
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
		{path: apisim.PostgREST + "?limit=100", args: []string{"-H", "Prefer: count=exact"}, requests: 4, reason: "Content-Range: 0-99/345, pages of 100, none after the last"},
		{path: apisim.PostgREST, requests: 3, reason: "the whole listing, Content-Range: 0-344/*: the empty second page, and the first asked for by offset to tell the end from a filter"},
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
	for path, hint := range map[string]string{
		apisim.Stripe:  `"has_more" is true, but the body names no next page: the API may page by a field of the last item`,
		apisim.Since:   "set -offset-param",
		apisim.After:   "set -offset-param",
		apisim.Cursors: "its header X-Next-Cursor looks like the next page's cursor",
		apisim.Nomad:   "its 345 items are all of it: add -style link", // without per_page, every job in one page
		apisim.Azure:   "its header X-Ms-Continuation-Nextpartitionkey looks like the next page's cursor",
		apisim.Changes: `its "last_seq" looks like a change feed's`,
		apisim.GraphQL: "400 Bad Request: {\"error\":\"the body is not valid JSON: EOF\",\"status\":400}; pagecat asked with GET: an API that takes a POST body (GraphQL, a search) needs its flags",
	} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			s := sim(t, apisim.Config{N: 345, Seed: 7})
			code, stdout, stderr := pagecat(t, s.URL+path)
			if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, hint) {
				t.Errorf("got exit %d, %d bytes; stderr lacks %q:\n%s", code, len(stdout), hint, stderr)
			}
			if r := s.Stats().Requests; r > 6 {
				t.Errorf("got %d requests, want at most 6: the first, and 4 guesses checked, and a probe", r)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe to read while pagecat writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLiveStream exports a stream not labelled NDJSON that sends three
// lines and then waits until the test ends: detection decides from the
// first bytes, and the three lines are written while the stream waits.
// The request asked for identity encoding: a compressing server would
// hold the lines back.
func TestLiveStream(t *testing.T) {
	release := make(chan struct{})
	var requests atomic.Int32
	var encoding atomic.Value
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		encoding.Store(r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), []string{s.URL}, &stdout, &stderr) }()
	for deadline := time.Now().Add(20 * time.Second); stdout.String() != lines(3); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("the stream's lines did not come while it waited: got %q; stderr:\n%s", stdout.String(), stderr.String())
		}
	}
	select {
	case code := <-done:
		t.Fatalf("pagecat ended (exit %d) while the stream was open", code)
	default:
	}
	close(release)
	if code := <-done; code != 0 || stdout.String() != lines(3) || requests.Load() != 1 {
		t.Errorf("got exit %d, %q, %d requests; stderr:\n%s", code, stdout.String(), requests.Load(), stderr.String())
	}
	if got := encoding.Load(); got != "identity" {
		t.Errorf("Accept-Encoding %q, want identity", got)
	}
}

// TestExplain prints the plan detected, with the first two requests,
// secrets redacted, and asks for the first page only.
func TestExplain(t *testing.T) {
	s := sim(t, apisim.Config{N: 345})
	for _, tt := range []struct {
		path string
		want []string
	}{
		{apisim.DRF + "?api_key=hunter2", []string{
			"style:     next\n", "items:     results\n", `next page: the URL in the body's "next"`, `end:       a page whose "next" is null, empty or absent`,
			"request 1: " + s.URL + apisim.DRF + "?api_key=REDACTED\n", "request 2: " + s.URL + apisim.DRF + "?api_key=REDACTED&page=2\n",
			"flags:     -style=next -items=results -next-field=next -limit-param=- -total-field=count\n"}},
		{apisim.Runs, []string{"style:     offset\n", "items:     runs\n", "next page: the offset, sent as -offset-param\n",
			`end:       the total in "total" (345 items), or an empty page`, "request 2: " + s.URL + apisim.Runs + "?limit=100&offset=100 (not sent by -explain; an export checks the guess on it first)\n",
			"-limit-param=limit -offset-param=offset -total-field=total"}},
		{apisim.JSONServer017, []string{"next page: the offset, sent as -offset-param (a guess: an export tries offset, skip, start, _start in turn)\n"}},
		{apisim.JSONServer, []string{"style:     next\n", "request 2: " + s.URL + apisim.JSONServer + "?_page=2\n", "-page-param=_page"}},
		{apisim.Slack, []string{"style:     token\n", "items:     channels\n", "-next-field=response_metadata.next_cursor", "request 2: " + s.URL + apisim.Slack + "?cursor="}},
		{apisim.Repos, []string{"style:     link\n", "request 2: " + s.URL + apisim.Repos + "?page=2\n"}},
		{apisim.Stream, []string{"style:     ndjson\n", "items:     each line\n", "request 2: the stream is one response\n"}},
	} {
		before := s.Stats().Requests
		code, stdout, stderr := pagecat(t, "-explain", s.URL+tt.path)
		if code != 0 || stderr != "" {
			t.Errorf("%s: got exit %d; stderr:\n%s", tt.path, code, stderr)
		}
		for _, want := range tt.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: stdout lacks %q:\n%s", tt.path, want, stdout)
			}
		}
		if strings.Contains(stdout, "hunter2") {
			t.Errorf("%s: stdout holds the secret:\n%s", tt.path, stdout)
		}
		if n := s.Stats().Requests - before; n != 1 {
			t.Errorf("%s: got %d requests, want the first only", tt.path, n)
		}
	}
}

// TestFilterParams exports from a server that reads a parameter it does
// not know as a filter, which nothing matches: the second page comes back
// empty under each guess, and asked from the start it is empty too.
// pagecat fails before writing, naming the flags, instead of exiting 0
// with the first page only.
func TestFilterParams(t *testing.T) {
	var requests atomic.Int32
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if len(r.URL.Query()) > 0 {
			fmt.Fprint(w, `{"data": []}`)
			return
		}
		fmt.Fprint(w, `{"data": [{"id": 1}, {"id": 2}]}`)
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "offset=2 is empty, and offset=0 does not start with the first page's first item") || !strings.Contains(stderr, "set -offset-param") {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	if n := requests.Load(); n != 9 {
		t.Errorf("got %d requests, want 9: the first, and a second page and a probe for each of 4 guesses", n)
	}
}

// TestDetectedResume fails a detected export to FILE partway; the same
// command again resumes it from its checkpoint, which keeps what was
// detected, and the file holds every record once.
func TestDetectedResume(t *testing.T) {
	s := sim(t, apisim.Config{N: 345})
	for _, tt := range []struct{ path, param, fail string }{
		{apisim.JSONAPI, "page[number]", "5"}, // relative next links: through the proxy
		{apisim.JSONServer, "_page", "5"},
		{apisim.Slack, "cursor", base64.StdEncoding.EncodeToString([]byte("team:C000201"))},
		{apisim.JSONServer017, "_start", "110"},
	} {
		t.Run(strings.Trim(tt.path, "/"), func(t *testing.T) {
			var broken atomic.Bool
			broken.Store(true)
			proxy := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if broken.Load() && r.URL.Query().Get(tt.param) == tt.fail {
					http.Error(w, "no", http.StatusNotFound)
					return
				}
				s.ServeHTTP(w, r)
			})
			file := filepath.Join(t.TempDir(), "out.ndjson")
			code, _, stderr := pagecat(t, "-o", file, "-retry=1", proxy.URL+tt.path)
			if code != 1 || !strings.Contains(stderr, "run the same command to resume") || !strings.Contains(stderr, "404 Not Found") {
				t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
			}
			broken.Store(false)
			code, _, stderr = pagecat(t, "-o", file, "-retry=1", proxy.URL+tt.path)
			if code != 0 {
				t.Fatalf("resuming: got exit %d; stderr:\n%s", code, stderr)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			seen := map[string]bool{}
			for _, line := range got {
				seen[line] = true
			}
			if len(got) != 345 || len(seen) != 345 {
				t.Errorf("FILE holds %d lines, %d distinct; want 345", len(got), len(seen))
			}
		})
	}
}

// TestDetectBounds: the detecting request keeps -max-body-size, and its
// next-page check keeps the origin rule: a next URL elsewhere is not
// asked for while detecting, and the walk refuses it after the first
// page, naming -allow-host.
func TestDetectBounds(t *testing.T) {
	var other atomic.Int32
	evil := serve(t, func(w http.ResponseWriter, r *http.Request) { other.Add(1) })
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"results": [{"id": 1}], "next": %q, "pad": %q}`, evil.URL+"/steal", strings.Repeat("x", 2000))
	})
	code, stdout, stderr := pagecat(t, "-max-body-size=1000", s.URL)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "response body too large: more than 1000 bytes (-max-body-size)") {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = pagecat(t, "-H", "Authorization: Bearer t0ken-t0ken", s.URL)
	if code != 1 || stdout != lines(1) || other.Load() != 0 || !strings.Contains(stderr, "add -allow-host "+strings.TrimPrefix(evil.URL, "http://")) {
		t.Errorf("got exit %d, %q, %d requests elsewhere; stderr:\n%s", code, stdout, other.Load(), stderr)
	}
}

// TestHeaderTotal reads totals as pagerhttp does, and as -total-header
// says.
func TestHeaderTotal(t *testing.T) {
	for _, tt := range []struct {
		header, value, name string
		want                int
	}{
		{"X-Total-Count", "1234", "", 1234},
		{"Content-Range", "0-99/1234", "", 1234},
		{"Content-Range", "items 0-99/1234", "", 1234},
		{"Content-Range", "bytes 0-99/1234", "", 0},
		{"Content-Range", "0-99/*", "", 0},
		{"X-Total", "77", "X-Total", 77},
		{"X-Total-Count", "1234", "-", 0},
		{"X-Total", "77", "", 0},
	} {
		h := http.Header{}
		h.Set(tt.header, tt.value)
		if got := pagerhttp.HeaderTotal(h, tt.name); got != tt.want {
			t.Errorf("%s: %s, -total-header %q: got %d, want %d", tt.header, tt.value, tt.name, got, tt.want)
		}
	}
}
