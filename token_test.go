package pager_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// scripted is a token server that answers from a script: page i of the
// script is the answer to the i-th request, whatever its token. It records
// the tokens it was asked for.
type scripted struct {
	pages  []pager.Page[int]
	tokens []string
}

func (s *scripted) fetch(_ context.Context, req pager.Request) (pager.Page[int], error) {
	s.tokens = append(s.tokens, req.Token)
	if len(s.tokens) > len(s.pages) {
		return pager.Page[int]{}, fmt.Errorf("scripted: request %d past the script", len(s.tokens))
	}
	return s.pages[len(s.tokens)-1], nil
}

func page(next string, items ...int) pager.Page[int] {
	return pager.Page[int]{Items: items, Next: next}
}

func TestTokenWalk(t *testing.T) {
	tests := []struct {
		label      string
		script     []pager.Page[int]
		wantItems  []int
		wantTokens []string // the tokens the walk asked for
		wantErr    error
		reason     string
	}{
		{
			label:  "one page",
			script: []pager.Page[int]{page("", 1, 2)}, wantItems: []int{1, 2}, wantTokens: []string{""},
			reason: "an empty Next on the first page ends the walk",
		},
		{
			label:  "empty listing",
			script: []pager.Page[int]{page("")}, wantItems: nil, wantTokens: []string{""},
			reason: "an empty first page with no Next is an empty listing",
		},
		{
			label:      "pages of any size",
			script:     []pager.Page[int]{page("a", 1), page("b", 2, 3, 4), page("", 5, 6)},
			wantItems:  []int{1, 2, 3, 4, 5, 6},
			wantTokens: []string{"", "a", "b"},
			reason:     "pageSize is a suggestion: pages may be shorter or longer",
		},
		{
			label:      "empty pages in the middle",
			script:     []pager.Page[int]{page("a", 1), page("b"), page("c"), page("", 2)},
			wantItems:  []int{1, 2},
			wantTokens: []string{"", "a", "b", "c"},
			reason:     "an empty page with a Next is not the end (SCAN-style cursors; stripe-node #2731)",
		},
		{
			label:      "empty last page",
			script:     []pager.Page[int]{page("a", 1), page("")},
			wantItems:  []int{1},
			wantTokens: []string{"", "a"},
			reason:     "an empty page without Next ends the walk",
		},
		{
			label:      "token cycle",
			script:     []pager.Page[int]{page("A", 1), page("B", 2), page("A", 3), page("B", 4)},
			wantItems:  []int{1, 2, 3},
			wantTokens: []string{"", "A", "B"},
			wantErr:    pager.ErrRepeatedToken,
			reason:     "A,B,A,B (botocore #3778): stopped before a second lap, with the page that carried the repeat yielded",
		},
		{
			label:      "same token with empty pages",
			script:     []pager.Page[int]{page("A", 1), page("A"), page("A")},
			wantItems:  []int{1},
			wantTokens: []string{"", "A"},
			wantErr:    pager.ErrRepeatedToken,
			reason:     "the same token handed back with empty pages (google-api-go-client #755) does not loop",
		},
		{
			label:      "first page points to itself",
			script:     []pager.Page[int]{page("A", 1), page("A", 2)},
			wantItems:  []int{1, 2},
			wantTokens: []string{"", "A"},
			wantErr:    pager.ErrRepeatedToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := &scripted{pages: tt.script}
			items, errs, errAt := pagetest.Drain(pager.All(context.Background(), pager.Token(s.fetch)))
			if diff := cmp.Diff(tt.wantItems, items); diff != "" {
				t.Errorf("items (-want +got):\n%s\n%s", diff, tt.reason)
			}
			if diff := cmp.Diff(tt.wantTokens, s.tokens); diff != "" {
				t.Errorf("tokens asked for (-want +got):\n%s\n%s", diff, tt.reason)
			}
			switch {
			case tt.wantErr == nil && len(errs) > 0:
				t.Errorf("got errors %v, want none", errs)
			case tt.wantErr != nil && (len(errs) != 1 || !errors.Is(errs[0], tt.wantErr) || errAt[0] != len(items)):
				t.Errorf("got errors %v, want one %v, last", errs, tt.wantErr)
			}
		})
	}
}

func TestRepeatedTokenError(t *testing.T) {
	s := &scripted{pages: []pager.Page[int]{page("A", 1, 2), page("B", 3), page("A", 4, 5)}}
	_, err := pager.Collect(pager.All(context.Background(), pager.Token(s.fetch)))
	var pe *pager.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PageError", err)
	}
	if pe.Token != "A" || pe.Offset != 5 {
		t.Errorf("got token %q at offset %d, want \"A\" at 5 (the repeated token, past all items yielded)", pe.Token, pe.Offset)
	}
}

func TestTokenPages(t *testing.T) {
	s := &scripted{pages: []pager.Page[int]{page("a", 1, 2), page("b"), page("", 3)}}
	var got []pager.Page[int]
	src := pager.Token(s.fetch, pager.StartOffset(10))
	for p, err := range src.Pages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	want := []pager.Page[int]{
		{Items: []int{1, 2}, Next: "a", Offset: 10, Token: ""},
		{Next: "b", Offset: 12, Token: "a"},
		{Items: []int{3}, Offset: 12, Token: "b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestTokenServer(t *testing.T) {
	for _, n := range []int{0, 1, 99, 100, 101, 1000} {
		srv := &pagetest.Server{N: n, Clamp: 70}
		items, err := pager.Collect(pager.All(context.Background(), pager.Token(srv.Token, pager.PageSize(100))))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pagetest.Ints(n), items, cmpEmpty); diff != "" {
			t.Errorf("N=%d: items (-want +got):\n%s", n, diff)
		}
		if got, want := srv.Calls(), max(1, (n+69)/70); got != want {
			t.Errorf("N=%d: got %d fetches, want %d", n, got, want)
		}
	}
}

func TestTokenResume(t *testing.T) {
	srv := &pagetest.Server{N: 250}
	src := pager.Token(srv.Token, pager.StartToken("@120"))
	items, err := pager.Collect(pager.All(context.Background(), src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pagetest.Ints(250)[120:], items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	// A walk resumed at a token must still refuse that token when handed it again.
	s := &scripted{pages: []pager.Page[int]{page("B", 1), page("A", 2)}}
	_, err = pager.Collect(pager.All(context.Background(), pager.Token(s.fetch, pager.StartToken("A"))))
	if !errors.Is(err, pager.ErrRepeatedToken) {
		t.Errorf("got %v, want ErrRepeatedToken", err)
	}
}

func TestTokenFailures(t *testing.T) {
	boom := errors.New("boom")
	for page := 0; page < 3; page++ {
		srv := &pagetest.Server{N: 30, Fail: func(call int, _ pager.Request) error {
			if call == page+1 {
				return boom
			}
			return nil
		}}
		items, errs, errAt := pagetest.Drain(pager.All(context.Background(), pager.Token(srv.Token, pager.PageSize(10))))
		if len(errs) != 1 || errAt[0] != len(items) || len(items) != 10*page {
			t.Fatalf("page %d: got errors %v at %v of %d items, want one, after %d", page, errs, errAt, len(items), 10*page)
		}
		var pe *pager.PageError
		if !errors.As(errs[0], &pe) || !errors.Is(errs[0], boom) {
			t.Fatalf("page %d: got %v, want a *PageError wrapping boom", page, errs[0])
		}
		wantTok := ""
		if page > 0 {
			wantTok = fmt.Sprintf("@%d", 10*page)
		}
		if pe.Token != wantTok || pe.Offset != 10*page {
			t.Errorf("page %d: got token %q offset %d, want %q and %d", page, pe.Token, pe.Offset, wantTok, 10*page)
		}
		// Resuming from the error finishes the listing exactly.
		rest, err := pager.Collect(pager.All(context.Background(), pager.Token(srv.Token, pager.StartToken(pe.Token), pager.StartOffset(pe.Offset))))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pagetest.Ints(30), append(items, rest...)); diff != "" {
			t.Errorf("page %d: resumed walk (-want +got):\n%s", page, diff)
		}
	}
}

// TestManyPages walks a million one-item pages, and checks that the
// memory kept to detect repeated tokens stays small: 64-bit hashes, not
// the tokens themselves (each 64 bytes here).
func TestManyPages(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million pages: too slow with -short or -race")
	}
	const n = 1_000_000
	prefix := strings.Repeat("x", 56)
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		i := 0
		if req.Token != "" {
			i, _ = strconv.Atoi(req.Token[len(prefix):])
		}
		p := pager.Page[int]{Items: []int{i}}
		if i+1 < n {
			p.Next = fmt.Sprintf("%s%08d", prefix, i+1)
		}
		return p, nil
	}
	var before, peak runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	count := 0
	for _, err := range pager.All(context.Background(), pager.Token(fetch)) {
		if err != nil {
			t.Fatal(err)
		}
		if count++; count == n-1 {
			runtime.GC()
			runtime.ReadMemStats(&peak) // the walk's set of used tokens is live here
		}
	}
	if count != n {
		t.Errorf("got %d items, want %d", count, n)
	}
	// A table of a million 64-bit hashes takes 16 MiB (a map, about 40); the tokens alone would be 64 MB more.
	grew := int64(peak.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %.1f MiB over %d pages", float64(grew)/(1<<20), n)
	if grew > 60<<20 {
		t.Errorf("heap grew by %d MiB over a million pages, want under 60", grew>>20)
	}
}
