package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Hostile servers met during detection: each test is a server that lies,
// loops or leaks, and what pagecat must do about it.

// TestSecretEchoed: a server that echoes the request it refuses, its
// path and query as written or a secret value alone, does not get the
// URL's secrets onto stderr: they are not in an absolute URL, where
// pagecat finds them by their parameter's name.
func TestSecretEchoed(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("bad request %s (token %s)", r.URL.RequestURI(), r.URL.Query().Get("access_token")), http.StatusForbidden)
	})
	for _, args := range [][]string{{}, {"-style", "offset", "-items", "data"}} {
		code, stdout, stderr := pagecat(t, append(args, "-retry=1", s.URL+"/?api_key=hunter2&access_token=s3cr3t%2Ft0ken")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "403 Forbidden: bad request /?") {
			t.Fatalf("%v: got exit %d and %q; stderr:\n%s", args, code, stdout, stderr)
		}
		for _, secret := range []string{"hunter2", "s3cr3t%2Ft0ken", "s3cr3t/t0ken"} {
			if strings.Contains(stderr, secret) {
				t.Errorf("%v: stderr holds %q:\n%s", args, secret, stderr)
			}
		}
	}
}

// TestEndFieldsOfAnotherType: a total as a string, a has_more of 1, a
// total_pages as a string are end signals detection cannot read, and
// passes by; the walk, which reads those names by default, must pass
// them by too, not fail on the very page detection took.
func TestEndFieldsOfAnotherType(t *testing.T) {
	for _, tt := range []struct {
		label   string
		handler http.HandlerFunc
	}{
		{"total as a string", func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("offset") {
			case "", "0":
				fmt.Fprint(w, `{"items": [{"id": 1}, {"id": 2}], "total": "3", "offset": 0}`)
			case "2":
				fmt.Fprint(w, `{"items": [{"id": 3}], "total": "3", "offset": 2}`)
			default:
				fmt.Fprint(w, `{"items": [], "total": "3"}`)
			}
		}},
		{"has_more as a number", func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("cursor") {
			case "":
				fmt.Fprint(w, `{"data": [{"id": 1}, {"id": 2}], "next_cursor": "b", "has_more": 1}`)
			default:
				fmt.Fprint(w, `{"data": [{"id": 3}], "next_cursor": null, "has_more": 0}`)
			}
		}},
		{"total_pages as a string", func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("page") {
			case "", "1":
				fmt.Fprint(w, `{"items": [{"id": 1}, {"id": 2}], "page": 1, "total_pages": "2"}`)
			case "2":
				fmt.Fprint(w, `{"items": [{"id": 3}], "page": 2, "total_pages": "2"}`)
			default:
				fmt.Fprint(w, `{"items": [], "page": 3, "total_pages": "2"}`)
			}
		}},
	} {
		s := serve(t, tt.handler)
		code, stdout, stderr := pagecat(t, s.URL)
		if code != 0 || stdout != lines(3) {
			t.Errorf("%s: got exit %d and %q; stderr:\n%s", tt.label, code, stdout, stderr)
		}
	}
}

// TestExplainHeaderTotal: a total read from the headers is said to come
// from the headers, not from a field named "" or "-".
func TestExplainHeaderTotal(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"items": [{"id": 1}], "page": 1}`, "end:       the 3 items in the headers, or an empty page\n"},
		{`{"items": [{"id": 1}], "total": "3"}`, "end:       the total in the headers (3 items), or an empty page\n"},
	} {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Total-Count", "3")
			fmt.Fprint(w, tt.body)
		})
		code, stdout, stderr := pagecat(t, "-explain", s.URL)
		if code != 0 || !strings.Contains(stdout, tt.want) {
			t.Errorf("%s: got exit %d, stdout lacks %q:\n%s%s", tt.body, code, tt.want, stdout, stderr)
		}
	}
}

// TestNullItems: a server that writes an empty listing as null (a Go
// server's nil slice) on a first page that goes on: detection takes the
// usual items field, though it holds no array, and walks on.
func TestNullItems(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"items": null, "next_cursor": "a", "filters": null}`)
		case "a":
			fmt.Fprint(w, `{"items": [{"id": 1}, {"id": 2}], "next_cursor": null, "filters": null}`)
		}
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 0 || stdout != lines(2) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestRelativeNextURL: a next URL relative to the page's own, without a
// leading slash ("list?page=2", "./list?page=2"), is a URL, not a token
// to send back as ?cursor=.
func TestRelativeNextURL(t *testing.T) {
	for _, next := range []string{"list?page=2", "./list?page=2", "../api/list?page=2"} {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path != "/api/list":
				http.NotFound(w, r)
			case r.URL.Query().Get("page") == "2":
				fmt.Fprint(w, `{"results": [{"id": 3}], "next": null}`)
			default:
				fmt.Fprintf(w, `{"results": [{"id": 1}, {"id": 2}], "next": %q}`, next)
			}
		})
		code, stdout, stderr := pagecat(t, s.URL+"/api/list")
		if code != 0 || stdout != lines(3) {
			t.Errorf("%s: got exit %d and %q; stderr:\n%s", next, code, stdout, stderr)
		}
	}
}

// TestURLStartsPartway: the URL given already asks for a later page
// (?offset=4, ?page=3, as copied from a browser). The walk starts from
// the first page, which sets the parameter anew: the answer detection got
// is not the walk's first page, and must not be replayed as it.
func TestURLStartsPartway(t *testing.T) {
	const n, size = 10, 2
	page := func(w http.ResponseWriter, from int, extra string) {
		var items []string
		for id := from + 1; id <= min(from+size, n); id++ {
			items = append(items, fmt.Sprintf(`{"id": %d}`, id))
		}
		fmt.Fprintf(w, `{"items": [%s], %s}`, strings.Join(items, ", "), extra)
	}
	for _, tt := range []struct {
		query   string
		handler http.HandlerFunc
	}{
		{"?offset=4", func(w http.ResponseWriter, r *http.Request) {
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			page(w, off, fmt.Sprintf(`"offset": %d`, off))
		}},
		{"?offset=2&quiet", func(w http.ResponseWriter, r *http.Request) { // no echo of the offset
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			page(w, off, fmt.Sprintf(`"total": %d`, n))
		}},
		{"?page=3", func(w http.ResponseWriter, r *http.Request) {
			p, _ := strconv.Atoi(r.URL.Query().Get("page"))
			page(w, (max(p, 1)-1)*size, fmt.Sprintf(`"page": %d, "total_pages": %d`, p, n/size))
		}},
	} {
		s := serve(t, tt.handler)
		code, stdout, stderr := pagecat(t, s.URL+"/"+tt.query)
		if code != 0 || stdout != lines(n) {
			t.Errorf("%s: got exit %d and %q; stderr:\n%s", tt.query, code, stdout, stderr)
		}
	}
}

// TestNoteEscaped: the line that says what detection found, and which
// guesses the second page disproved, quotes the server's token; its
// control characters are escaped, as in every other line pagecat writes
// to a terminal.
func TestNoteEscaped(t *testing.T) {
	const token = "\x1b]0;pwned\x07\r"
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("pageToken") == token {
			fmt.Fprint(w, `{"data": [{"id": 2}], "next_cursor": null}`)
			return
		}
		fmt.Fprint(w, `{"data": [{"id": 1}], "next_cursor": "\u001b]0;pwned\u0007\r"}`)
	})
	code, stdout, stderr := pagecat(t, "-progress=always", s.URL)
	if code != 0 || stdout != lines(2) || !strings.Contains(stderr, `(not: cursor=\x1b]0;pwned\x07\r repeats the first page)`) {
		t.Errorf("got exit %d and %q; stderr:\n%q", code, stdout, stderr)
	}
}

// TestFilterWithTotal: a server that reads a parameter it does not know
// as a filter answers the guess "offset" with an empty page, and a total
// of 0 for the filtered listing; its first page's total said more follow.
// The empty page disproves the guess: pagecat goes on to "skip", the
// server's, instead of ending with the first page and exit 0.
func TestFilterWithTotal(t *testing.T) {
	const n = 5
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		skip, _ := strconv.Atoi(q.Get("skip"))
		q.Del("skip")
		q.Del("limit")
		if len(q) > 0 {
			fmt.Fprint(w, `{"items": [], "total": 0}`)
			return
		}
		var items []string
		for id := skip + 1; id <= min(skip+2, n); id++ {
			items = append(items, fmt.Sprintf(`{"id": %d}`, id))
		}
		fmt.Fprintf(w, `{"items": [%s], "total": %d}`, strings.Join(items, ", "), n)
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 0 || stdout != lines(n) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestShuffledRepeat: a server that ignores the offset parameter and
// answers the same items in another order each time (no sort) does not
// pass the second page's check: its items are all the first page's.
func TestShuffledRepeat(t *testing.T) {
	var requests atomic.Int32
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		items := []string{`{"id": 1}`, `{"id": 2}`, `{"id": 3}`}
		k := int(requests.Add(1))
		fmt.Fprintf(w, `{"items": [%s, %s, %s]}`, items[k%3], items[(k+1)%3], items[(k+2)%3])
	})
	code, stdout, stderr := pagecat(t, "-take=20", s.URL)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "offset=3 repeats the first page") {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestGuessDecodesOnce: detection looks for a score of dotted names in
// "meta", "pagination", "links"…; a server's large "meta" is decoded once,
// not once for each name: a 50 MB first page took minutes of CPU.
func TestGuessDecodesOnce(t *testing.T) {
	const n = 1000
	var b strings.Builder
	b.WriteString(`{"items": [{"id": 1}], "meta": {`)
	for i := range n {
		fmt.Fprintf(&b, `"k%d": [%d],`, i, i)
	}
	b.WriteString(`"page": 1}}`)
	o, err := parseFlags([]string{"http://x/list"}, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(3, func() {
		a := &answer{url: "http://x/list", header: http.Header{}, body: []byte(b.String())}
		if _, err := guess(a, o); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 4*n {
		t.Errorf("got %.0f allocations for a meta of %d fields, want at most %d: one decoding of it", allocs, n, 4*n)
	}
}

// TestJSONSeq: application/json-seq (RFC 7464) starts each record with
// RS (0x1E), which pagecat's streams do not read: it is not taken for
// NDJSON, to fail on every line and be asked for again and again, but
// fails once, on its first byte.
func TestJSONSeq(t *testing.T) {
	var requests atomic.Int32
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json-seq")
		fmt.Fprint(w, "\x1e{\"id\": 1}\n\x1e{\"id\": 2}\n")
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 1 || stdout != "" || requests.Load() != 1 || !strings.Contains(stderr, `the body is not JSON (invalid character '\x1e' looking for beginning of value)`) {
		t.Errorf("got exit %d and %q after %d requests; stderr:\n%s", code, stdout, requests.Load(), stderr)
	}
}

// TestSecondPageLoops: the second page holds other items than the first,
// but names as the next page one the walk has been to: its own token
// again, its own URL, the first page's. The walk would write both pages
// and then fail, advising for a token a -token-param that the second page
// had just confirmed. Detection fails instead, before writing.
func TestSecondPageLoops(t *testing.T) {
	for _, tt := range []struct {
		label, want string
		handler     http.HandlerFunc
	}{
		{"token", `the second page, cursor=a, names as the next page "a", where the walk has been`, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("cursor") == "" {
				fmt.Fprint(w, `{"data": [{"id": 1}, {"id": 2}], "next_cursor": "a"}`)
				return
			}
			fmt.Fprint(w, `{"data": [{"id": 3}, {"id": 4}], "next_cursor": "a"}`)
		}},
		{"next URL to itself", `?page=2", where the walk has been`, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "" {
				fmt.Fprint(w, `{"results": [{"id": 1}], "next": "?page=2"}`)
				return
			}
			fmt.Fprint(w, `{"results": [{"id": 2}], "next": "/?page=2"}`)
		}},
		{"next URL to the first", `/", where the walk has been`, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "" {
				fmt.Fprint(w, `{"results": [{"id": 1}], "next": "?page=2"}`)
				return
			}
			fmt.Fprint(w, `{"results": [{"id": 2}], "next": "/"}`)
		}},
		{"Link to the first", `/", where the walk has been`, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "" {
				w.Header().Set("Link", `</?page=2>; rel="next"`)
				fmt.Fprint(w, `[{"id": 1}]`)
				return
			}
			w.Header().Set("Link", `</>; rel="next", </>; rel="first"`)
			fmt.Fprint(w, `[{"id": 2}]`)
		}},
	} {
		s := serve(t, tt.handler)
		code, stdout, stderr := pagecat(t, s.URL)
		if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: got exit %d and %q; stderr:\n%s", tt.label, code, stdout, stderr)
		}
	}
}

// TestLinkWithComma: a Link header whose next URL holds a comma
// (?fields=id,name) is read as the walk reads it, not split at the comma,
// which lost the link and guessed limit and offset instead.
func TestLinkWithComma(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `[{"id": 2}]`)
			return
		}
		w.Header().Set("Link", `</?fields=id,name&page=2>; rel="next", </?fields=id,name&page=2>; rel="last"`)
		fmt.Fprint(w, `[{"id": 1}]`)
	})
	code, stdout, stderr := pagecat(t, s.URL+"/?fields=id,name")
	if code != 0 || stdout != lines(2) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestURLWithPageSize: a URL that sets the page size itself (?limit=2)
// still has its first page replayed, not asked for twice: the walk sets
// the page size anew, which asks for the same page.
func TestURLWithPageSize(t *testing.T) {
	var requests atomic.Int32
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var items []string
		for id := off + 1; id <= min(off+limit, 4); id++ {
			items = append(items, fmt.Sprintf(`{"id": %d}`, id))
		}
		fmt.Fprintf(w, `{"items": [%s], "total": 4}`, strings.Join(items, ", "))
	})
	code, stdout, stderr := pagecat(t, s.URL+"/?limit=2")
	if code != 0 || stdout != lines(4) || requests.Load() != 2 {
		t.Errorf("got exit %d and %q after %d requests, want 2; stderr:\n%s", code, stdout, requests.Load(), stderr)
	}
}

// TestFieldNamesBounded: the names of a first page's fields, quoted in a
// detection error, are bounded in number and length: a server's body of
// ten thousand arrays, or of one name a megabyte long, makes a line of
// stderr, not megabytes of it.
func TestFieldNamesBounded(t *testing.T) {
	var many strings.Builder
	many.WriteString("{")
	for i := range 10000 {
		fmt.Fprintf(&many, `"a%d": [], `, i)
	}
	many.WriteString(`"z": []}`)
	long := fmt.Sprintf(`{%q: 1}`, strings.Repeat("x", 1<<20))
	for _, body := range []string{many.String(), long} {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
		code, stdout, stderr := pagecat(t, s.URL)
		if code != 1 || stdout != "" || len(stderr) > 2000 {
			t.Errorf("got exit %d, %d bytes of stderr:\n%.300s…", code, len(stderr), stderr)
		}
	}
}

// TestLongTokenBounded: a token of a megabyte, quoted by the guesses that
// failed, is cut short in the message.
func TestLongTokenBounded(t *testing.T) {
	token := strings.Repeat("t", 1<<20)
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data": [{"id": 1}], "next_cursor": %q}`, token)
	})
	code, stdout, stderr := pagecat(t, s.URL)
	if code != 1 || stdout != "" || len(stderr) > 2000 || !strings.Contains(stderr, "repeats the first page") {
		t.Errorf("got exit %d, %d bytes of stderr:\n%.300s…", code, len(stderr), stderr)
	}
}

// TestReplayHoldsBodies: the answers kept for the walk hold their bodies
// only, not what detection decoded of them (fields, items, the objects
// nested in them: several times a body, up to -max-body-size each).
func TestReplayHoldsBodies(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		fmt.Fprintf(w, `{"items": [{"id": %d}], "meta": {"total": 3}}`, off+1)
	})
	o, err := parseFlags([]string{s.URL}, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	rp := &replay{next: http.DefaultTransport}
	defer rp.close()
	if _, err := detect(context.Background(), &http.Client{Transport: rp}, o, rp); err != nil {
		t.Fatal(err)
	}
	if len(rp.answers) != 2 {
		t.Fatalf("got %d answers kept, want 2", len(rp.answers))
	}
	for u, a := range rp.answers {
		if a.body == nil || a.obj != nil || a.items != nil {
			t.Errorf("%s: kept %d bytes of body, fields %v, %d items; want the body only", u, len(a.body), a.obj != nil, len(a.items))
		}
	}
}
