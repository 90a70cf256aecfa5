package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
)

// serve starts a test server with handler.
func serve(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(handler)
	t.Cleanup(s.Close)
	return s
}

// lines returns n records {"id":1} to {"id":n} as pagecat writes them.
func lines(n int) string {
	var b strings.Builder
	for id := 1; id <= n; id++ {
		fmt.Fprintf(&b, "{\"id\":%d}\n", id)
	}
	return b.String()
}

// TestEmptyFirstPage walks listings whose first page is empty while more
// follow (Redis SCAN, DynamoDB): pagecat must not end there.
func TestEmptyFirstPage(t *testing.T) {
	tests := []struct {
		label    string
		handler  http.HandlerFunc
		flags    []string
		wantCode int
		wantOut  string
		wantErr  string // in stderr
		reason   string
	}{
		{
			label: "token",
			handler: func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Query().Get("pageToken") {
				case "":
					fmt.Fprint(w, `{"data": [], "nextPageToken": "a"}`)
				case "a":
					fmt.Fprint(w, `{"data": [], "nextPageToken": "b"}`)
				default:
					fmt.Fprint(w, `{"data": [{"id": 1}, {"id": 2}], "nextPageToken": null}`)
				}
			},
			wantOut: lines(2),
			reason:  "empty pages with a next token are walked through",
		},
		{
			label: "link",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("page") == "" {
					w.Header().Set("Link", fmt.Sprintf(`<http://%s/?page=2>; rel="next"`, r.Host))
					fmt.Fprint(w, `[]`)
					return
				}
				fmt.Fprint(w, `[{"id": 1}, {"id": 2}]`)
			},
			wantOut: lines(2),
			reason:  "an empty page with a next link is walked through",
		},
		{
			label: "offset with total",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"items": [], "total": 2}`)
			},
			wantCode: 1,
			wantErr:  `no items, but the page says more follow: the field "items" is empty or null, but "total" is 2`,
			reason:   "the total says that items were lost",
		},
		{
			label: "page with total",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"items": [], "page": 1, "per_page": 20, "total": 2}`)
			},
			wantCode: 1,
			wantErr:  `no items, but the page says more follow: the field "items" is empty or null, but "total" is 2`,
			reason:   "the total says that items were lost",
		},
	}
	for _, tt := range tests {
		for _, detected := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, detected %v", tt.label, detected), func(t *testing.T) {
				s := serve(t, tt.handler)
				args := []string{"-retry=1", s.URL + "/"}
				if !detected {
					style, items := map[string][2]string{
						"token": {"token", "data"}, "link": {"link", "."},
						"offset with total": {"offset", "items"}, "page with total": {"page", "items"},
					}[tt.label][0], map[string]string{"token": "data", "link": ".", "offset with total": "items", "page with total": "items"}[tt.label]
					args = append([]string{"-style", style, "-items", items}, args...)
				}
				code, stdout, stderr := pagecat(t, args...)
				if code != tt.wantCode || stdout != tt.wantOut {
					t.Errorf("got exit %d and stdout %q, want %d and %q (%s); stderr:\n%s", code, stdout, tt.wantCode, tt.wantOut, tt.reason, stderr)
				}
				if tt.wantErr != "" && !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr)
				}
				if strings.Contains(stderr, "to resume") {
					t.Errorf("nothing was written, yet stderr says how to resume:\n%s", stderr)
				}
			})
		}
	}
}

// writeRecorder records each Write.
type writeRecorder struct{ writes []string }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestWholeLines checks that every Write to stdout ends a line, so that a
// kill leaves whole records, with items larger than any buffer.
func TestWholeLines(t *testing.T) {
	pad := strings.Repeat("x", 40<<10)
	var want strings.Builder
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") != "0" {
			fmt.Fprint(w, `[]`)
			return
		}
		var items []string
		for id := 1; id <= 5; id++ {
			items = append(items, fmt.Sprintf(`{"id": %d, "pad": %q}`, id, pad))
		}
		fmt.Fprintf(w, "[%s]", strings.Join(items, ", "))
	})
	for id := 1; id <= 5; id++ {
		fmt.Fprintf(&want, "{\"id\":%d,\"pad\":%q}\n", id, pad)
	}
	for _, size := range []string{"1", "2", "100"} {
		var out writeRecorder
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"-style=offset", "-page-size", size, s.URL}, &out, &stderr)
		if code != 0 {
			t.Fatalf("got exit %d; stderr:\n%s", code, stderr.String())
		}
		if got := strings.Join(out.writes, ""); got != want.String() {
			t.Fatalf("-page-size %s: got %d bytes, want the 5 records", size, len(got))
		}
		for i, w := range out.writes {
			if !strings.HasSuffix(w, "\n") {
				t.Errorf("-page-size %s: write %d of %d ends with %q, not a line's end", size, i+1, len(out.writes), w[max(0, len(w)-10):])
			}
		}
	}
}

// TestSecretsStayOff fails an export made with headers from the
// environment, a file and the command line, and an API key in the URL:
// neither stderr nor the resume command holds a secret, and the resume
// command, with what it says to add back, finishes the export.
func TestSecretsStayOff(t *testing.T) {
	s := sim(t, apisim.Config{N: 100})
	t.Setenv("PAGECAT_TEST_TOKEN", "t0ken-from-env")
	file := filepath.Join(t.TempDir(), "headers")
	if err := os.WriteFile(file, []byte("# for the test\nX-From-File: f1le-secret\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var broken atomic.Bool
	broken.Store(true)
	proxy := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken-from-env" || r.Header.Get("X-From-File") != "f1le-secret" ||
			r.Header.Get("X-Literal") != "l1teral-secret" || r.URL.Query().Get("api_key") != "hunter2" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		if broken.Load() && r.URL.Query().Get("offset") == "70" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "\x1b]0;pwned\x07\r\npagecat: export complete\u202e (you sent %s, %s)", r.Header.Get("Authorization"), r.Header.Get("X-Literal"))
			return
		}
		s.ServeHTTP(w, r)
	})
	url := proxy.URL + apisim.Issues + "?api_key=hunter2"
	code, first, stderr := pagecat(t, "-page-size=20",
		"-H", "Authorization: Bearer ${PAGECAT_TEST_TOKEN}", "-H", "@"+file, "-H", "X-Literal: l1teral-secret", url)
	// Detection gets the first page at the server's size, 50, and checks
	// the second, of 20; the walk asks for those again from memory, and
	// fails at the third.
	if code != 1 || first != ndjson(s, 1, 70) {
		t.Fatalf("got exit %d and %d bytes, want 1 and 70 records; stderr:\n%s", code, len(first), stderr)
	}
	for _, secret := range []string{"t0ken-from-env", "f1le-secret", "l1teral-secret", "hunter2", "\x1b", "\r", "\x07", "\u202e"} {
		if strings.Contains(stderr, secret) {
			t.Errorf("stderr holds %q:\n%s", secret, stderr)
		}
	}
	for _, want := range []string{`: \x1b]0;pwned\a pagecat: export complete\u202e (you sent REDACTED, REDACTED)`, "(X-Literal)", "put back the value of api_key"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	_, command, ok := strings.Cut(stderr, "to resume after them, run:\n  ")
	command, _, _ = strings.Cut(command, "\n")
	if !ok || !strings.Contains(command, `-H 'Authorization: Bearer ${PAGECAT_TEST_TOKEN}' -H @`+file) || !strings.Contains(command, "api_key=REDACTED") {
		t.Fatalf("got resume command %q", command)
	}
	broken.Store(false)
	args := shellSplit(t, strings.ReplaceAll(command, "REDACTED", "hunter2"))
	code, rest, stderr := pagecat(t, append(args[1:], "-H", "X-Literal: l1teral-secret")...)
	if code != 0 || first+rest != ndjson(s, 1, 100) {
		t.Errorf("resuming: got exit %d and %d bytes; stderr:\n%s", code, len(first+rest), stderr)
	}
}

func TestHeaderErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("Authorization: Bearer s3cret\nno colon here\n"), 0o600)
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-H", "Authorization: $PAGECAT_TEST_UNSET", "http://x/"}, "-H Authorization: $PAGECAT_TEST_UNSET is not set"},
		{[]string{"-H", "@" + filepath.Join(dir, "missing"), "http://x/"}, "no such file"},
		{[]string{"-H", "@" + bad, "http://x/"}, "line 2: want 'Name: value'"},
		{[]string{"-H", "X: a\nY: b", "http://x/"}, "control character"},
		{[]string{"-H", "Bearer s3cret", "http://x/"}, "-H: want 'Name: value' or @FILE"},
		{[]string{"-H", "@", "http://x/"}, "-H @: open"},
	} {
		code, _, stderr := pagecat(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.wantErr) || strings.Contains(stderr, "s3cret") {
			t.Errorf("pagecat %q: got exit %d and stderr %q, want 2 and %q", tt.args, code, stderr, tt.wantErr)
		}
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"TOKEN": "abc", "A_1": "x", "EMPTY": ""}
	getenv := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	for in, want := range map[string]string{
		"Bearer $TOKEN":   "Bearer abc",
		"Bearer ${TOKEN}": "Bearer abc",
		"${A_1}y$A_1":     "xyx",
		"$TOKEN-$EMPTY.":  "abc-.",
		"pa$$word":        "pa$word",
		"cost: 5$":        "cost: 5$",
		"$ {TOKEN} $1":    "$ {TOKEN} $1",
		"${bad-name}":     "${bad-name}",
	} {
		if got, err := expand(in, getenv); got != want || err != nil {
			t.Errorf("expand(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := expand("$NOPE", getenv); err == nil || err.Error() != "$NOPE is not set" {
		t.Errorf("expand($NOPE): got %v, want $NOPE is not set", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://x/a?api_key=1&b=2":                    "https://x/a?api_key=REDACTED&b=2",
		"https://x/a?B=2&Access_Token=t#f":             "https://x/a?B=2&Access_Token=REDACTED#f",
		"https://x/?X-Amz-Signature=s&pageToken=p":     "https://x/?X-Amz-Signature=REDACTED&pageToken=p",
		"https://u:pw@x/?sig=1&key=2&client_secret=3":  "https://u:REDACTED@x/?sig=REDACTED&key=REDACTED&client_secret=REDACTED",
		"https://x/?password&token=":                   "https://x/?password=REDACTED&token=REDACTED",
		"https://x/?page=2&per_page=5&next_cursor=abc": "https://x/?page=2&per_page=5&next_cursor=abc",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q):\ngot  %s\nwant %s", in, got, want)
		}
	}
	msg := `Get "http://127.0.0.1:1/runs?limit=5&token=abc": connection refused; next http://h/?Signature=x. GET http://h/?key=k: 404`
	want := `Get "http://127.0.0.1:1/runs?limit=5&token=REDACTED": connection refused; next http://h/?Signature=REDACTED. GET http://h/?key=REDACTED: 404`
	if got := redactText(msg); got != want {
		t.Errorf("redactText:\ngot  %s\nwant %s", got, want)
	}
	if got, want := escape("a\x1b[2Jb\r\n\x00\u202e\xffé\t"), `a\x1b[2Jb\r\n\x00\u202e\xffé`+"\t"; got != want {
		t.Errorf("escape: got %q, want %q", got, want)
	}
}

// TestFirstRequestRetried fails pagecat's first, style-detecting request
// with a 503: it is retried like every page.
func TestFirstRequestRetried(t *testing.T) {
	var requests atomic.Int32
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Query().Get("offset") == "" || r.URL.Query().Get("offset") == "0" {
			fmt.Fprint(w, `{"items": [{"id": 1}, {"id": 2}], "total": 2}`)
			return
		}
		fmt.Fprint(w, `{"items": [], "total": 2}`)
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 0 || stdout != lines(2) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	requests.Store(-100) // every request fails from now on…
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	})
	code, _, stderr = pagecat(t, "-retry=3", s.URL)
	if code != 1 || requests.Load() != -97 || !strings.Contains(stderr, "502 Bad Gateway: down (after 3 attempts)") {
		t.Errorf("got exit %d after %d requests, want 1 after 3; stderr:\n%s", code, requests.Load()+100, stderr)
	}
}

// TestBareArray says "bare array" to -items in each of its ways.
func TestBareArray(t *testing.T) {
	s := sim(t, apisim.Config{N: 120})
	for _, items := range []string{".", "none", "-"} {
		for _, style := range []string{"", "offset"} {
			args := []string{"-items", items, "-retry=1", s.URL + apisim.Issues}
			if style != "" {
				args = append([]string{"-style", style}, args...)
			}
			code, stdout, stderr := pagecat(t, args...)
			if code != 0 || stdout != ndjson(s, 1, 120) {
				t.Errorf("pagecat %q: got exit %d and %d bytes; stderr:\n%s", args, code, len(stdout), stderr)
			}
		}
	}
	code, _, stderr := pagecat(t, "-items", ".", "-retry=1", s.URL+apisim.Runs)
	if code != 1 || !strings.Contains(stderr, "-items . says a bare array, but the body is a JSON object (fields: ") {
		t.Errorf("-items . on an object: got exit %d; stderr:\n%s", code, stderr)
	}
}

// TestRepeatedPage exports from a server that ignores the page parameter:
// detection's check of the second page fails, naming the flag to set,
// before anything is written.
func TestRepeatedPage(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items": [{"id": 1}, {"id": 2}], "page": 1, "per_page": 2}`)
	})
	code, stdout, stderr := pagecat(t, "-page-size=2", s.URL)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "set -page-param") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestRepeatedToken exports from a server that ignores the token
// parameter: detection's check of the second page finds the first again
// under each name it tries, and pagecat names the flag, having written
// nothing (no item twice).
func TestRepeatedToken(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": [{"id": 1}, {"id": 2}], "next_cursor": "c2"}`)
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 1 || stdout != "" || !strings.Contains(stderr, `cursor=c2 repeats the first page`) || !strings.Contains(stderr, "set -token-param") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestStaticFile exports a JSON array served as a file: the server
// ignores the offset. Detected, the check of the second page finds the
// first again under each offset parameter it tries, and pagecat fails
// before writing, naming the flags, and -style link for a file. Given
// -style offset, the walk stops at the first repeat and names the flag,
// instead of writing the same items forever. With -style link, the file
// is exported.
func TestStaticFile(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		code    int
		out     string
		wantErr []string
	}{
		{nil, 1, "", []string{"offset=3 repeats the first page; skip=3", "set -offset-param", "its 3 items are all of it: add -style link"}},
		{[]string{"-prefetch=3", "-page-size=2"}, 1, "", []string{"set -offset-param"}},
		{[]string{"-style=offset", "-items=."}, 1, lines(3), []string{"set -offset-param"}},
		{[]string{"-style=link"}, 0, lines(3), nil},
	} {
		var requests atomic.Int32
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			fmt.Fprint(w, `[{"id": 1}, {"id": 2}, {"id": 3}]`)
		})
		code, stdout, stderr := pagecat(t, append(tt.args, "-take=50", s.URL+"/arr.json")...)
		if code != tt.code || stdout != tt.out || strings.Contains(stderr, "to resume") {
			t.Errorf("pagecat %q: got exit %d and %q; stderr:\n%s", tt.args, code, stdout, stderr)
		}
		for _, want := range tt.wantErr {
			if !strings.Contains(stderr, want) {
				t.Errorf("pagecat %q: stderr lacks %q:\n%s", tt.args, want, stderr)
			}
		}
		// Under -prefetch 3, the first guesses (offsets 0, 2, 4) are
		// discarded when the first page comes back longer than guessed,
		// more go out from offset 3, whose page repeats the first, and
		// guesses past it may be in flight: a few rounds of at most 3.
		// What matters is that the export stops.
		if n := requests.Load(); n > 15 {
			t.Errorf("pagecat %q: got %d requests, want at most 15", tt.args, n)
		}
	}
}

// seqSource is a Source that yields its pages and then err.
type seqSource struct {
	pages []pager.Page[json.RawMessage]
	err   error
}

func (s seqSource) Pages(ctx context.Context) iter.Seq2[pager.Page[json.RawMessage], error] {
	return func(yield func(pager.Page[json.RawMessage], error) bool) {
		for _, p := range s.pages {
			if !yield(p, nil) {
				return
			}
		}
		if s.err != nil {
			yield(pager.Page[json.RawMessage]{}, s.err)
		}
	}
}

// TestRepeatedOffsetPage fails an offset walk as pagerhttp does on a
// server that ignores the offset.
func TestRepeatedOffsetPage(t *testing.T) {
	src := seqSource{
		pages: []pager.Page[json.RawMessage]{{Items: []json.RawMessage{json.RawMessage(`{"id":1}`)}}},
		err:   &pager.PageError{Offset: 1, Err: fmt.Errorf("%w (offset 1)", pager.ErrRepeatedPage)},
	}
	o, err := parseFlags([]string{"-style=offset", "http://x/arr.json"}, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	s := &sink{out: &lineWriter{w: &stdout}, cp: &pager.Checkpoint{}}
	code := export(o, pager.All(context.Background(), src), s, &stderr, newProgress(&stderr, "never"))
	if code != 1 || stdout.String() != lines(1) || !strings.Contains(stderr.String(), "set -offset-param") || strings.Contains(stderr.String(), "to resume") {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !errors.Is(src.err, pager.ErrRepeatedPage) {
		t.Fatal("the test's error does not wrap ErrRepeatedPage")
	}
}

// TestNothingWritten fails the first page: there is nothing to resume
// after.
func TestNothingWritten(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such workspace", http.StatusNotFound)
	})
	code, _, stderr := pagecat(t, "-style=offset", "-items=runs", s.URL)
	if code != 1 || strings.Contains(stderr, "to resume") || !strings.Contains(stderr, "nothing written; asking again will get the same answer") {
		t.Errorf("got exit %d; stderr:\n%s", code, stderr)
	}
}

// TestUsageErrors checks that bad flags are one line each on stderr,
// exit 2.
func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-prefetch=20000", "http://x/"}, "-prefetch 20000: want 0 to 64"},
		{[]string{"-prefetch=-1", "http://x/"}, "-prefetch -1: want 0 to 64"},
		{[]string{"-page-size=-5", "http://x/"}, "-page-size -5"},
		{[]string{"-page-size=9223372036854775807", "http://x/"}, "-page-size 9223372036854775807: want 1 to 1000000"},
		{[]string{"-start-offset=-1", "http://x/"}, "-start-offset -1"},
		{[]string{"-start-offset=9223372036854775000", "http://x/"}, "-start-offset 9223372036854775000"},
		{[]string{"-start-offset=99999999999999999999", "http://x/"}, "value out of range"},
		{[]string{"-start-page=0", "http://x/"}, "-start-page 0"},
		{[]string{"-take=-1", "http://x/"}, "-take -1"},
		{[]string{"-retry=-1", "http://x/"}, "-retry -1"},
		{[]string{"-timeout=0", "http://x/"}, "-timeout 0s: want more than 0"},
		{[]string{"-timeout=-1s", "http://x/"}, "-timeout -1s"},
		{[]string{"-no-such-flag", "http://x/"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"http://x/", "-take"}, "flag needs an argument: -take"},
		{[]string{"http://x/", "http://y/"}, "want one URL, got 2"},
		{[]string{"http://user:pw@x/?key=k", "-style=x"}, `-style "x"`},
		{[]string{"rel/?api_key=k"}, "rel/?api_key=REDACTED is not an absolute URL"},
	} {
		code, stdout, stderr := pagecat(t, tt.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "pagecat: ") || strings.Count(stderr, "\n") != 1 ||
			!strings.Contains(stderr, tt.wantErr) || !strings.Contains(stderr, "run pagecat -h for help") {
			t.Errorf("pagecat %q: got exit %d, stderr %q; want 2 and one line with %q", tt.args, code, stderr, tt.wantErr)
		}
	}
}

// TestFlagsAfterURL puts flags after the URL.
func TestFlagsAfterURL(t *testing.T) {
	s := sim(t, apisim.Config{N: 100})
	code, stdout, stderr := pagecat(t, s.URL+apisim.Runs, "-take", "5", "-page-size=2", "-limit-param", "limit")
	if code != 0 || stdout != ndjson(s, 1, 5) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	// Detection asks with the page size when -limit-param names its
	// parameter: its page, the first, and the second it checks the guess
	// on are the walk's; then 1 more page of 2.
	if got := s.Stats().Requests; got != 3 {
		t.Errorf("got %d requests, want 3: -page-size after the URL was not used", got)
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := pagecat(t, "-h")
	if code != 0 || stderr != "" {
		t.Fatalf("got exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"What to fetch:", "How to page:", "Output:", "Resume:", "Network:", "Examples:", "-H @FILE", "$NAME"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-h lacks %q:\n%s", want, stdout)
		}
	}
	o := &options{}
	fs := newFlagSet(o)
	listed := map[string]bool{}
	for _, g := range flagGroups {
		for _, name := range g.names {
			listed[name] = true
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] || len(regexp.MustCompile(`(?m)^  -`+f.Name+`( |$)`).FindAllString(stdout, -1)) != 1 {
			t.Errorf("-h does not list -%s once", f.Name)
		}
	})
}

// TestTimeoutFitsStreams exports a healthy NDJSON stream that takes longer
// than -timeout in all, but never waits that long for its next line: it
// comes whole. A stream that stalls fails after -timeout.
func TestTimeoutFitsStreams(t *testing.T) {
	for _, stall := range []bool{false, true} {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			for i := 1; i <= 8; i++ {
				fmt.Fprintf(w, `{"id": %d}`+"\n", i)
				w.(http.Flusher).Flush()
				wait := 60 * time.Millisecond
				if stall && i == 4 {
					wait = 2 * time.Second
				}
				select {
				case <-r.Context().Done():
					return
				case <-time.After(wait):
				}
			}
		})
		code, stdout, stderr := pagecat(t, "-style=ndjson", "-retry=1", "-timeout=300ms", s.URL)
		switch {
		case !stall && (code != 0 || stdout != lines(8)):
			t.Errorf("a healthy 0.5 s stream with -timeout 300ms: got exit %d and %q; stderr:\n%s", code, stdout, stderr)
		case stall && (code != 1 || stdout != lines(4) || !strings.Contains(stderr, "no bytes from the server for 300ms (-timeout)")):
			t.Errorf("a stream stalled for 2 s with -timeout 300ms: got exit %d and %q; stderr:\n%s", code, stdout, stderr)
		}
	}
}

// TestOriginRefused exports a listing whose next link names another
// origin: pagecat writes the first page, follows no further, prints no
// resume command that would meet the same link, and names -allow-host.
func TestOriginRefused(t *testing.T) {
	var other atomic.Int32
	evil := serve(t, func(w http.ResponseWriter, r *http.Request) { other.Add(1) })
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+evil.URL+"/steal>; rel=\"next\"")
		fmt.Fprint(w, `[{"id": 1}]`)
	})
	t.Setenv("PAGECAT_TEST_TOKEN", "t0ken")
	code, stdout, stderr := pagecat(t, "-H", "Authorization: Bearer $PAGECAT_TEST_TOKEN", s.URL)
	host := strings.TrimPrefix(evil.URL, "http://")
	if code != 1 || stdout != lines(1) || other.Load() != 0 || strings.Contains(stderr, "to resume") || !strings.Contains(stderr, "add -allow-host "+host) {
		t.Errorf("got exit %d, %q and %d requests to the other origin; stderr:\n%s", code, stdout, other.Load(), stderr)
	}
	code, _, stderr = pagecat(t, "-max-body-size=0", "-max-empty-pages=-1", s.URL)
	if code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad bounds: got exit %d; stderr:\n%s", code, stderr)
	}
}
