package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// fileServer serves a directory holding arr.json, a JSON array of n
// records, as a plain file server does: whatever the query.
func fileServer(t *testing.T, n int) *recorder {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("[")
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": %d}`, i)
	}
	b.WriteString("]\n")
	if err := os.WriteFile(filepath.Join(dir, "arr.json"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := http.FileServer(http.Dir(dir))
	return newRecorder(t, false, fs.ServeHTTP)
}

// TestOffsetIgnored: a server that ignores the offset (a static file, a
// parameter of another name) answers every page with the same items; the
// walk wrote 10,359 lines in 5 s before. It ends after the first page with
// ErrRepeatedPage, sequential or under Prefetch.
func TestOffsetIgnored(t *testing.T) {
	for _, tt := range []struct {
		label    string
		n        int // records in the file
		pageSize int
		prefetch int
		reason   string
	}{
		{"static file, short page", 10, 100, 0, "10 items for a limit of 100: not the end, then the same 10 at offset 10"},
		{"static file, full page", 100, 100, 0, "100 items, then the same 100 at offset 100"},
		{"static file, long page", 250, 100, 0, "250 items for a limit of 100"},
		{"static file, prefetch", 10, 100, 4, "offsets 100, 200, 300 fetched ahead of the first answer"},
		{"static file, full page, prefetch", 100, 100, 4, "the page at 100 may be answered before the one at 0"},
	} {
		t.Run(tt.label, func(t *testing.T) {
			srv := fileServer(t, tt.n)
			src := pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL + "/arr.json", Client: client(t)}), pager.PageSize(tt.pageSize))
			if tt.prefetch > 0 {
				src = pager.Prefetch(src, tt.prefetch)
			}
			got, err := pager.Collect(pager.Take(pager.All(context.Background(), src), 1000))
			if !errors.Is(err, pager.ErrRepeatedPage) {
				t.Fatalf("got %d items and %v, want ErrRepeatedPage: %s", len(got), err, tt.reason)
			}
			if len(got) > tt.n {
				t.Errorf("got %d items from a file of %d: some twice", len(got), tt.n)
			}
			for i, r := range got {
				if r.ID != i+1 {
					t.Fatalf("item %d has id %d", i+1, r.ID)
				}
			}
			if tt.prefetch == 0 && (len(got) != tt.n || len(srv.requests()) != 2) {
				t.Errorf("got %d items in %d requests, want %d in 2", len(got), len(srv.requests()), tt.n)
			}
		})
	}
}

// TestOffsetParamWrong: the API reads "offset"; the caller said "skip".
func TestOffsetParamWrong(t *testing.T) {
	s := sim(t, apisim.Config{N: 1000})
	ep := pagerhttp.Endpoint{URL: s.URL + apisim.Runs, Client: client(t), Items: "runs", Total: "-", OffsetParam: "skip"}
	got, err := pager.Collect(pager.Take(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep), pager.PageSize(100))), 1000))
	if !errors.Is(err, pager.ErrRepeatedPage) || len(got) != 100 || !strings.Contains(err.Error(), `"skip"`) {
		t.Errorf("got %d items and %v, want 100 and ErrRepeatedPage naming the parameter", len(got), err)
	}
}

// pagesOf serves the JSON answers in order, the last one again past them.
func pagesOf(answers ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		i := 0
		if v := r.URL.Query().Get("offset"); v != "" {
			i, _ = strconv.Atoi(v)
			i /= 2
		}
		if v := r.URL.Query().Get("page"); v != "" {
			i, _ = strconv.Atoi(v)
			i--
		}
		fmt.Fprint(w, answers[min(i, len(answers)-1)])
	}
}

// TestEmptyButMore: an empty or null items array while the page says more
// follow is an error, not the end (the walk ended at 2 of 6 before).
func TestEmptyButMore(t *testing.T) {
	two := `{"items": [{"id": 1}, {"id": 2}], "total": 6, "has_more": true}`
	tests := []struct {
		label   string
		answers []string
		page    bool // a PageNumber walk, else an Offset one
		wantN   int
		wantErr error
	}{
		{label: "null, total", answers: []string{two, `{"items": null, "total": 6}`}, wantN: 2, wantErr: pagerhttp.ErrItemsMissing},
		{label: "empty, has_more", answers: []string{two, `{"items": [], "has_more": true}`}, wantN: 2, wantErr: pagerhttp.ErrItemsMissing},
		{label: "empty, total_pages", page: true, answers: []string{`{"items": [{"id": 1}, {"id": 2}], "total_pages": 3}`, `{"items": [], "total_pages": 3}`}, wantN: 2, wantErr: pagerhttp.ErrItemsMissing},
		{label: "empty at the total", answers: []string{`{"items": [{"id": 1}, {"id": 2}], "total": 2}`, `{"items": [], "total": 2}`}, wantN: 2},
		{label: "empty, has_more false", answers: []string{`{"items": [{"id": 1}, {"id": 2}], "has_more": true}`, `{"items": [], "has_more": false}`}, wantN: 2},
		{label: "empty, has_more false, total more", answers: []string{two, `{"items": [], "total": 6, "has_more": false}`}, wantN: 2, wantErr: pagerhttp.ErrItemsMissing},
		{label: "total_pages 0 is unknown", page: true, answers: []string{
			`{"items": [{"id": 1}, {"id": 2}], "total_pages": 0}`, `{"items": [{"id": 3}], "total_pages": -1}`, `{"items": [], "total_pages": 0}`,
		}, wantN: 3},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := newRecorder(t, false, pagesOf(tt.answers...))
			ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: "items"}
			src := pager.Offset(pagerhttp.OffsetFetch[Rec](ep), pager.PageSize(2), retry5)
			if tt.page {
				src = pager.PageNumber(pagerhttp.PageNumberFetch[Rec](ep), pager.PageSize(2), retry5)
			}
			got, err := pager.Collect(pager.All(context.Background(), src))
			if len(got) != tt.wantN || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("got %d items and %v, want %d and %v", len(got), err, tt.wantN, tt.wantErr)
			}
			var pe *pager.PageError
			if err != nil && (!errors.As(err, &pe) || pe.Attempts != 1) {
				t.Errorf("got %v, want a *PageError after 1 attempt", err)
			}
		})
	}
}

// TestTokenLookalike: the page has no nextPageToken but a field that
// looks like one; the walk returned page 1 and stopped, with no error.
func TestTokenLookalike(t *testing.T) {
	tests := []struct {
		label     string
		body      string
		nextToken string // Endpoint.NextToken
		start     string // StartToken
		wantField string // "": no error
	}{
		{label: "next_cursor", body: `{"data": [{"id": 1}], "next_cursor": "abc"}`, wantField: "next_cursor"},
		{label: "cursor", body: `{"data": [{"id": 1}], "cursor": "abc"}`, wantField: "cursor"},
		{label: "next", body: `{"data": [{"id": 1}], "next": "abc"}`, wantField: "next"},
		{label: "continuation", body: `{"data": [{"id": 1}], "continuation": "abc"}`, wantField: "continuation"},
		{label: "nextToken, number", body: `{"data": [{"id": 1}], "nextToken": 12}`, wantField: "nextToken"},
		{label: "next_page_token", body: `{"data": [{"id": 1}], "next_page_token": "abc"}`, wantField: "next_page_token"},
		{label: "nested", body: `{"data": [{"id": 1}], "meta": {"next_cursor": "abc"}}`, wantField: "meta.next_cursor"},
		{label: "configured field null", body: `{"data": [{"id": 1}], "nextPageToken": null, "cursor": "abc"}`},
		{label: "look-alike empty", body: `{"data": [{"id": 1}], "next_cursor": ""}`},
		{label: "look-alike null", body: `{"data": [{"id": 1}], "meta": {"next": null}}`},
		{label: "configured elsewhere", body: `{"data": [{"id": 1}], "meta": {"next_cursor": null}, "cursor": "abc"}`, nextToken: "meta.next_cursor"},
		{label: "the page's own cursor echoed", body: `{"data": [{"id": 1}], "cursor": "p2"}`, start: "p2"},
		{label: "configured, a look-alike", body: `{"data": [{"id": 1}], "next_cursor": "abc"}`, nextToken: "nextPageToken", wantField: "next_cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				if tok := r.URL.Query().Get("pageToken"); tok != "" && tok != tt.start {
					fmt.Fprint(w, `{"data": [], "nextPageToken": null}`)
					return
				}
				fmt.Fprint(w, tt.body)
			})
			ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: "data", NextToken: tt.nextToken}
			got, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[Rec](ep), retry5, pager.StartToken(tt.start))))
			if tt.wantField == "" {
				if err != nil || len(got) != 1 {
					t.Errorf("got %d items and %v, want 1 and no error", len(got), err)
				}
				return
			}
			var pe *pager.PageError
			if !errors.As(err, &pe) || pe.Offset != 0 || pe.Attempts != 1 || !strings.Contains(err.Error(), strconv.Quote(tt.wantField)) {
				t.Errorf("got %d items and %v, want an error on the first page naming %q, not retried", len(got), err, tt.wantField)
			}
		})
	}
}

// TestItemsDash: "-" says "no items field" as it does for the other
// fields: a bare array (it failed after every retry, naming a field "-").
func TestItemsDash(t *testing.T) {
	srv := newRecorder(t, false, pagesOf(`[{"id": 1}, {"id": 2}]`, `[]`))
	ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: "-"}
	got, err := pager.Collect(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep), pager.PageSize(2))))
	if err != nil || len(got) != 2 {
		t.Errorf("got %d items and %v, want 2 and no error", len(got), err)
	}
}
