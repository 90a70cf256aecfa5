package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/pagerseq/pager"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager/internal/apisim"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// pagecat runs the command and returns its exit code, stdout and stderr.
func pagecat(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func sim(t *testing.T, cfg apisim.Config) *apisim.Server {
	t.Helper()
	s, err := apisim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ndjson returns records from to to of s as pagecat writes them.
func ndjson(s *apisim.Server, from, to int) string {
	var b strings.Builder
	for id := from; id <= to; id++ {
		line, _ := json.Marshal(s.Record(id))
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestStyles(t *testing.T) {
	s := sim(t, apisim.Config{N: 345, Seed: 3, Faults: apisim.Faults{Short: 0.2}})
	tests := []struct {
		label string
		args  []string
	}{
		{"runs, detected", []string{s.URL + apisim.Runs}},
		{"runs", []string{"-style", "offset", "-items", "runs", "-page-size", "999", "-max-page-size", "1000", s.URL + apisim.Runs}},
		{"issues, clamped, detected", []string{"-page-size", "999", s.URL + apisim.Issues}},
		{"logs, detected", []string{s.URL + apisim.Logs + "?level=ERROR"}},
		{"objects, detected", []string{s.URL + apisim.Objects}},
		{"objects", []string{"-style=token", "-items=data", "-next-field=nextPageToken", "-page-size=30", s.URL + apisim.Objects}},
		{"events, detected", []string{"-page-size=50", s.URL + apisim.Events}},
		{"repos, detected", []string{s.URL + apisim.Repos}},
		{"repos", []string{"-style", "link", s.URL + apisim.Repos}},
		{"runs, prefetched", []string{"-prefetch", "4", "-page-size", "20", s.URL + apisim.Runs}},
		{"stream, detected", []string{s.URL + apisim.Stream}},
		{"logs as ndjson", []string{"-style", "ndjson", s.URL + apisim.Logs}},
		{"objects, prefetched", []string{"-prefetch", "3", s.URL + apisim.Objects}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			code, stdout, stderr := pagecat(t, tt.args...)
			if code != 0 {
				t.Fatalf("got exit code %d, want 0; stderr:\n%s", code, stderr)
			}
			if stdout != ndjson(s, 1, 345) {
				t.Errorf("stdout differs from the 345 records:\n%s", firstDiff(ndjson(s, 1, 345), stdout))
			}
			if stderr != "" {
				t.Errorf("got stderr %q, want none: stderr is not a terminal", stderr)
			}
		})
	}
}

// firstDiff describes the first line where got differs from want.
func firstDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}

func TestTake(t *testing.T) {
	s := sim(t, apisim.Config{N: 1000})
	code, stdout, _ := pagecat(t, "-style=offset", "-items=runs", "-page-size=10", "-take=25", s.URL+apisim.Runs)
	if code != 0 || stdout != ndjson(s, 1, 25) {
		t.Errorf("got exit %d and\n%s\nwant 0 and records 1 to 25", code, stdout)
	}
	if got := s.Stats().Requests; got != 3 {
		t.Errorf("got %d requests, want 3: none past the 25th record", got)
	}
}

// TestFailureAndResume fails an export halfway, then resumes it with the
// command pagecat printed; the two outputs make the whole listing.
func TestFailureAndResume(t *testing.T) {
	s := sim(t, apisim.Config{N: 100})
	for _, tt := range []struct {
		style, path string
		fail        func(r *http.Request) bool
		wantResume  string
	}{
		{"offset", apisim.Issues, func(r *http.Request) bool { return r.URL.Query().Get("offset") == "40" }, "-start-offset=40"},
		{"page", apisim.Events, func(r *http.Request) bool { return r.URL.Query().Get("page") == "3" }, "-start-offset=40 -start-page=3"},
		{"token", apisim.Objects, func(r *http.Request) bool { return r.URL.Query().Get("pageToken") != "" }, "-start-offset=20 -start-token=v1.MjA6Mg"},
	} {
		t.Run(tt.style, func(t *testing.T) {
			var broken atomic.Bool
			broken.Store(true)
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer x y" {
					http.Error(w, "who are you?", http.StatusUnauthorized)
					return
				}
				if broken.Load() && tt.fail(r) {
					http.Error(w, `{"error": "no such workspace"}`, http.StatusNotFound)
					return
				}
				resp, err := http.Get(s.URL + r.URL.RequestURI())
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				var buf bytes.Buffer
				buf.ReadFrom(resp.Body)
				w.WriteHeader(resp.StatusCode)
				w.Write(buf.Bytes())
			}))
			defer proxy.Close()
			defer http.DefaultClient.CloseIdleConnections()

			url := proxy.URL + tt.path
			t.Setenv("PAGECAT_TEST_TOKEN", "Bearer x y")
			code, first, stderr := pagecat(t, "-style", tt.style, "-page-size=20", "-H", "Authorization: $PAGECAT_TEST_TOKEN", url)
			if code != 1 {
				t.Fatalf("got exit code %d, want 1", code)
			}
			if !strings.Contains(stderr, `404 Not Found: {"error": "no such workspace"}`) {
				t.Errorf("stderr does not say why:\n%s", stderr)
			}
			_, command, ok := strings.Cut(stderr, "to resume after them, run:\n  ")
			if !ok || !strings.Contains(command, tt.wantResume) {
				t.Fatalf("stderr has no resume command with %s:\n%s", tt.wantResume, stderr)
			}
			args := shellSplit(t, strings.TrimSpace(command))
			if args[0] != "pagecat" || !strings.Contains(command, "-H 'Authorization: $PAGECAT_TEST_TOKEN'") || strings.Contains(stderr, "x y") {
				t.Fatalf("got resume command %q", command)
			}
			broken.Store(false)
			code, rest, stderr := pagecat(t, args[1:]...)
			if code != 0 {
				t.Fatalf("resuming: got exit code %d; stderr:\n%s", code, stderr)
			}
			if got := first + rest; got != ndjson(s, 1, 100) {
				t.Errorf("the two runs do not make the listing:\n%s", firstDiff(ndjson(s, 1, 100), got))
			}
		})
	}
}

// shellSplit splits a command line quoted as quote does.
func shellSplit(t *testing.T, line string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inQuote, any := false, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'':
			inQuote, any = !inQuote, true
		case c == '\\' && !inQuote && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ' ' && !inQuote:
			if cur.Len() > 0 || any {
				args = append(args, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 || any {
		args = append(args, cur.String())
	}
	return args
}

func TestRetries(t *testing.T) {
	s := sim(t, apisim.Config{N: 300, Seed: 5, Faults: apisim.Faults{ServerError: 0.3, Truncate: 0.1}})
	code, stdout, stderr := pagecat(t, "-style=offset", "-items=items", "-page-size=20", "-retry=30", s.URL+apisim.Logs)
	if code != 0 || stdout != ndjson(s, 1, 300) {
		t.Errorf("got exit %d, stderr:\n%s", code, stderr)
	}
	if st := s.Stats(); st.ServerErrors == 0 {
		t.Errorf("no fault injected: %+v", st)
	}
}

func TestProgress(t *testing.T) {
	s := sim(t, apisim.Config{N: 250})
	code, _, stderr := pagecat(t, "-progress=always", s.URL+apisim.Runs)
	if code != 0 {
		t.Fatalf("got exit %d", code)
	}
	for _, want := range []string{`pagecat: style offset, items in "runs"`, "pagecat: 3 pages, 250 items of 250 (100%), ", " items/s, 0 retries, 0 quota waits (0s)\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%q", want, stderr)
		}
	}
}

// TestProgressPlain feeds pages to -progress always into a file, on a
// fake clock: a plain line every 10 s and one at the end, with a percent
// and an ETA from the total, retries and quota waits; no escape codes.
func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "always")
	now := p.start
	p.now = func() time.Time { return now }
	p.net = &watcher{}
	for i := range 30 { // a page of 100 every 2 s, of 10,000 items
		now = now.Add(2 * time.Second)
		p.page(pager.PageInfo{Offset: 100 * i, Items: 100, Total: 10000, Attempts: 1 + i%2})
	}
	p.net.quota.Add(2)
	p.net.quotaWait.Add(int64(3 * time.Second))
	p.done()
	want := []string{
		"pagecat: 5 pages, 500 items of 10000 (5%), 50 items/s, 2 retries, 0 quota waits (0s), ETA 3m10s",
		"pagecat: 10 pages, 1000 items of 10000 (10%), 50 items/s, 5 retries, 0 quota waits (0s), ETA 3m0s",
		"pagecat: 15 pages, 1500 items of 10000 (15%), 50 items/s, 7 retries, 0 quota waits (0s), ETA 2m50s",
		"pagecat: 20 pages, 2000 items of 10000 (20%), 50 items/s, 10 retries, 0 quota waits (0s), ETA 2m40s",
		"pagecat: 25 pages, 2500 items of 10000 (25%), 50 items/s, 12 retries, 0 quota waits (0s), ETA 2m30s",
		"pagecat: 30 pages, 3000 items of 10000 (30%), 50 items/s, 15 retries, 0 quota waits (0s), ETA 2m20s",
		"pagecat: 30 pages, 3000 items of 10000 (30%), 50 items/s, 15 retries, 2 quota waits (3s), ETA 2m20s",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestProgressTerminal checks the line a terminal shows: rewritten in
// place, at most every 100 ms, and ended at the end.
func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, mode: progressLine, offset: -1}
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.start, p.drawn = now, now
	for i := range 3 {
		now = now.Add(60 * time.Millisecond)
		p.page(pager.PageInfo{Offset: 10 * i, Items: 10})
	}
	p.done()
	want := "\r\033[Kpagecat: 2 pages, 20 items, 167 items/s, 0 retries" +
		"\r\033[Kpagecat: 3 pages, 30 items, 167 items/s, 0 retries\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestDemo(t *testing.T) {
	code, stdout, stderr := pagecat(t, "-demo", "-take=3")
	if code != 0 || strings.Count(stdout, "\n") != 3 || !strings.HasPrefix(stdout, `{"id":1,"name":"record-000001"`) {
		t.Errorf("got exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "pagecat: demo: an API on http://127.0.0.1:") {
		t.Errorf("stderr does not name the demo API:\n%s", stderr)
	}
}

// TestDemoNarrates runs the demo in each style: each time, every record
// once, and the narration of what the walk met on the way, which the
// demo's script makes the same on every run.
func TestDemoNarrates(t *testing.T) {
	clamp, retry, wait := "the API clamps the page size", "503 Service Unavailable. A transient failure: the walk tries the same page again", "429 Too Many Requests, Retry-After: 1s. The walk waits that long"
	short := "held 37 items where pages hold 100: a short page, yet not the end"
	for _, tt := range []struct {
		style string
		want  []string
	}{
		{"offset", []string{clamp, "a loop that added 250 to the offset would skip 150 records a page", retry, wait, short,
			"1000 records written, each once and in order, from 14 requests: 1 clamped page size, 1 short page, 1 retry, 1 429 waited out (1s), 0 streams reopened."}},
		{"token", []string{clamp, "next token", retry, wait, short}},
		{"page", []string{clamp, "counts pages", retry, wait}},
		{"link", []string{clamp, "next link", retry, wait}},
		{"ndjson", []string{"the walk opens it again at offset 399, the last record it got", "the walk opens it again at offset 798", "2 streams reopened"}},
	} {
		t.Run(tt.style, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := pagecat(t, "-demo", "-style", tt.style)
			if code != 0 || strings.Count(stdout, "\n") != 1000 || !strings.HasPrefix(stdout, `{"id":1,"name":"record-000001"`) || !strings.Contains(stdout, `{"id":1000,`) {
				t.Fatalf("got exit %d and %d lines; stderr:\n%s", code, strings.Count(stdout, "\n"), stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"-style=cursor", "http://x/"},
		{"-page-size=0", "http://x/"},
		{"-H", "no colon", "http://x/"},
		{"-demo", "http://x/"},
		{"relative/url"},
	} {
		if code, stdout, stderr := pagecat(t, args...); code != 2 || stdout != "" || !strings.Contains(stderr, "pagecat") {
			t.Errorf("pagecat %q: got exit %d, stdout %q, stderr %q; want 2 and a message", args, code, stdout, stderr)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://x/a?b=c": "'http://x/a?b=c'",
		"v1.MjA6Mg":      "v1.MjA6Mg",
		"it's":           `'it'\''s'`,
		"":               "''",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q): got %s, want %s", in, got, want)
		}
		if got := shellSplit(t, "x "+quote(in)); len(got) != 2 || got[1] != in {
			t.Errorf("quote(%q) does not split back: %q", in, got)
		}
	}
}

func TestStreamBreaksOff(t *testing.T) {
	s := sim(t, apisim.Config{N: 500, Seed: 5, Faults: apisim.Faults{ErrorLine: 200}})
	code, stdout, stderr := pagecat(t, "-style", "ndjson", s.URL+apisim.Stream)
	if code != 1 || stdout != ndjson(s, 1, 200) {
		t.Errorf("got exit code %d and %d bytes, want 1 and the 200 records before the error line", code, len(stdout))
	}
	if !strings.Contains(stderr, "cannot be resumed") || !strings.Contains(stderr, "-offset-param") {
		t.Errorf("stderr does not say how the stream could be resumed:\n%s", stderr)
	}
	code, stdout, stderr = pagecat(t, "-style", "ndjson", "-offset-param", "offset", "-retry", "5", s.URL+apisim.Stream)
	if code != 0 || stdout != ndjson(s, 1, 500) {
		t.Errorf("resumable: got exit code %d and %d bytes, want 0 and all 500 records; stderr:\n%s", code, len(stdout), stderr)
	}
}
