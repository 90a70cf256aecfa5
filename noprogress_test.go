package pager_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
)

// freshEmpty is a token server that answers every request with an empty
// page and a token never seen before, and items only after a run of gap
// empty pages; it stops the test past limit requests.
func freshEmpty(t *testing.T, gap, limit int, calls *int) pager.FetchFunc[int] {
	return func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		*calls++
		if *calls > limit {
			t.Fatalf("request %d: the walk did not stop", *calls)
		}
		p := pager.Page[int]{Next: "t" + strconv.Itoa(*calls)}
		if *calls == gap+1 {
			p.Items, p.Next = []int{1}, ""
		}
		return p, nil
	}
}

func TestMaxEmptyPages(t *testing.T) {
	tests := []struct {
		label     string
		opts      []pager.Option
		gap       int // empty pages before the one with an item
		wantErr   error
		wantCalls int
		reason    string
	}{
		{"default, endless", nil, 1 << 30, pager.ErrNoProgress, 100, "the default bound is 100 empty pages"},
		{"bound 5", []pager.Option{pager.MaxEmptyPages(5)}, 1 << 30, pager.ErrNoProgress, 5, "no request after the fifth empty page"},
		{"within the bound", []pager.Option{pager.MaxEmptyPages(5)}, 4, nil, 5, "4 empty pages, then the item"},
		{"lifted", []pager.Option{pager.MaxEmptyPages(0)}, 1000, nil, 1001, "Redis SCAN with MATCH: a long run, then an item"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			calls := 0
			src := pager.Token(freshEmpty(t, tt.gap, 2000, &calls), tt.opts...)
			got, err := pager.Collect(pager.All(context.Background(), src))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v: %s", err, tt.wantErr, tt.reason)
			}
			if calls != tt.wantCalls {
				t.Errorf("got %d requests, want %d: %s", calls, tt.wantCalls, tt.reason)
			}
			if err == nil {
				if len(got) != 1 {
					t.Errorf("got items %v, want [1]", got)
				}
				return
			}
			var pe *pager.PageError
			if !errors.As(err, &pe) || pe.Token != "t"+strconv.Itoa(calls) {
				t.Errorf("got %#v, want a *PageError with the token of the next page, t%d", err, calls)
			}
		})
	}
}

func TestMaxEmptyPagesNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MaxEmptyPages(-1) did not panic")
		}
	}()
	pager.MaxEmptyPages(-1)
}
