package pager_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// numbered is a page-number server for the listing 0, 1, …, n-1.
type numbered struct {
	n          int
	clamp      int  // the largest page; 0: none
	total      bool // report Total
	last       bool // set Last on the last page
	repeatLast bool // answer pages past the end with the last page
	ignorePage bool // answer every page with the first
	pages      []int
}

func (s *numbered) fetch(_ context.Context, req pager.Request) (pager.Page[int], error) {
	s.pages = append(s.pages, req.Page)
	size := req.Limit
	if s.clamp > 0 {
		size = min(size, s.clamp)
	}
	pg := req.Page
	if s.ignorePage {
		pg = 1
	}
	lastPage := max((s.n+size-1)/size, 1)
	if s.repeatLast && pg > lastPage {
		pg = lastPage
	}
	var p pager.Page[int]
	for i := (pg - 1) * size; i < min(pg*size, s.n); i++ {
		p.Items = append(p.Items, i)
	}
	if s.total {
		p.Total = s.n
	}
	p.Last = s.last && pg >= lastPage
	return p, nil
}

func TestPageNumberWalk(t *testing.T) {
	tests := []struct {
		label     string
		srv       *numbered
		opts      []pager.Option
		wantItems int
		wantPages []int // asked for
		wantErr   error
		reason    string
	}{
		{
			label: "empty listing", srv: &numbered{},
			wantPages: []int{1},
			reason:    "an empty first page ends the walk",
		},
		{
			label: "no total", srv: &numbered{n: 250},
			wantItems: 250, wantPages: []int{1, 2, 3, 4},
			reason: "with nothing reported, the empty page past the end ends the walk",
		},
		{
			label: "total", srv: &numbered{n: 250, total: true},
			wantItems: 250, wantPages: []int{1, 2, 3},
			reason: "reaching Total ends the walk without a request past it",
		},
		{
			label: "last", srv: &numbered{n: 300, last: true},
			wantItems: 300, wantPages: []int{1, 2, 3},
			reason: "Last ends the walk",
		},
		{
			label: "clamped", srv: &numbered{n: 450, clamp: 200},
			opts:      []pager.Option{pager.PageSize(999)},
			wantItems: 450, wantPages: []int{1, 2, 3, 4},
			reason: "page numbers count pages, whatever size the server gives them",
		},
		{
			label: "short page ends, opted in", srv: &numbered{n: 250},
			opts:      []pager.Option{pager.StopOnShortPage()},
			wantItems: 250, wantPages: []int{1, 2, 3},
			reason: "with StopOnShortPage the page of 50 ends the walk",
		},
		{
			label: "last page repeated past the end", srv: &numbered{n: 250, repeatLast: true},
			wantItems: 250, wantPages: []int{1, 2, 3, 4},
			reason: "page 4 repeats page 3, which was short: the last page answered again, a clean end",
		},
		{
			label: "single short page repeated", srv: &numbered{n: 30, repeatLast: true},
			wantItems: 30, wantPages: []int{1, 2},
			reason: "page 2 repeats page 1, shorter than the limit: the listing is one page",
		},
		{
			label: "clamped, last page repeated", srv: &numbered{n: 450, clamp: 200, repeatLast: true},
			opts:      []pager.Option{pager.PageSize(999)},
			wantItems: 450, wantPages: []int{1, 2, 3, 4},
			reason: "page 3 (50 items) is shorter than the 200 of page 1: its repeat is the end",
		},
		{
			label: "page parameter ignored", srv: &numbered{n: 1000, ignorePage: true},
			wantItems: 100, wantPages: []int{1, 2}, wantErr: pager.ErrRepeatedPage,
			reason: "a full page answered again may hide the rest of the listing: an error, not a loop or a silent end",
		},
		{
			label: "full last page repeated", srv: &numbered{n: 300, repeatLast: true},
			wantItems: 300, wantPages: []int{1, 2, 3, 4}, wantErr: pager.ErrRepeatedPage,
			reason: "indistinguishable from an ignored page parameter; the error comes after every item",
		},
		{
			label: "resume", srv: &numbered{n: 250, total: true},
			opts:      []pager.Option{pager.StartPage(2), pager.StartOffset(100)},
			wantItems: 250, wantPages: []int{2, 3},
			reason: "StartPage resumes; StartOffset keeps Total meaningful",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			items, errs, _ := pagetest.Drain(pager.All(context.Background(), pager.PageNumber(tt.srv.fetch, tt.opts...)))
			start := 0
			if len(tt.srv.pages) > 0 && tt.srv.pages[0] > 1 {
				start = 100
			}
			if diff := cmp.Diff(pagetest.Ints(tt.wantItems)[start:], items, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("items (-want +got):\n%s\n%s", diff, tt.reason)
			}
			if diff := cmp.Diff(tt.wantPages, tt.srv.pages); diff != "" {
				t.Errorf("pages asked for (-want +got):\n%s\n%s", diff, tt.reason)
			}
			switch {
			case tt.wantErr == nil && len(errs) > 0:
				t.Errorf("got errors %v, want none\n%s", errs, tt.reason)
			case tt.wantErr != nil && (len(errs) != 1 || !errors.Is(errs[0], tt.wantErr)):
				t.Errorf("got errors %v, want one %v\n%s", errs, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestPageNumberError(t *testing.T) {
	srv := &numbered{n: 1000, ignorePage: true}
	_, err := pager.Collect(pager.All(context.Background(), pager.PageNumber(srv.fetch)))
	var pe *pager.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PageError", err)
	}
	if pe.Page != 2 || pe.Offset != 100 {
		t.Errorf("got page %d at offset %d, want page 2 at offset 100", pe.Page, pe.Offset)
	}
	const want = "pager: page 2 (offset 100): page repeats the page before it (page 1): the server ignores the page parameter, or answers past its end with its last page"
	if got := err.Error(); got != want {
		t.Errorf("got message\n%s\nwant\n%s", got, want)
	}
}

func TestPageNumberFailure(t *testing.T) {
	fail := errors.New("503")
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		if req.Page == 3 {
			return pager.Page[int]{}, fail
		}
		return pager.Page[int]{Items: []int{req.Page}}, nil
	}
	items, err := pager.Collect(pager.All(context.Background(), pager.PageNumber(fetch)))
	var pe *pager.PageError
	if !errors.As(err, &pe) || !errors.Is(err, fail) {
		t.Fatalf("got %v, want a *PageError wrapping %v", err, fail)
	}
	if diff := cmp.Diff([]int{1, 2}, items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if pe.Page != 3 || pe.Offset != 2 {
		t.Errorf("got page %d at offset %d, want page 3 at offset 2", pe.Page, pe.Offset)
	}
	if got, want := pe.Error(), "pager: page 3 (offset 2): 503"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPageNumberBadOptions(t *testing.T) {
	for _, tt := range []struct {
		label string
		build func()
	}{
		{"nil fetch", func() { pager.PageNumber[int](nil) }},
		{"start token", func() { pager.PageNumber((&numbered{}).fetch, pager.StartToken("x")) }},
		{"start page 0", func() { pager.StartPage(0) }},
		{"nil OnPage", func() { pager.OnPage(nil) }},
	} {
		t.Run(tt.label, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("got no panic, want one")
				}
			}()
			tt.build()
		})
	}
}

// clock is a fake time that only moves when the walk sleeps.
type clock struct{ t time.Time }

func (c *clock) options() []pager.Option {
	return []pager.Option{
		pager.WithNow(func() time.Time { return c.t }),
		pager.WithSleep(func(ctx context.Context, d time.Duration) error {
			c.t = c.t.Add(d)
			return ctx.Err()
		}),
	}
}

func TestOnPage(t *testing.T) {
	tests := []struct {
		label string
		src   func(opts ...pager.Option) pager.Source[int]
		want  []pager.PageInfo
	}{
		{
			label: "offset",
			src: func(opts ...pager.Option) pager.Source[int] {
				srv := &pagetest.Server{N: 5, Total: true, Fail: failFirst(1, errTransient)}
				return pager.Offset(srv.Offset, append(opts, pager.PageSize(3))...)
			},
			want: []pager.PageInfo{
				{Offset: 0, Items: 3, Total: 5, Attempts: 2, Elapsed: time.Second},
				{Offset: 3, Items: 2, Total: 5, Attempts: 1},
			},
		},
		{
			label: "token",
			src: func(opts ...pager.Option) pager.Source[int] {
				srv := &pagetest.Server{N: 5}
				return pager.Token(srv.Token, append(opts, pager.PageSize(3))...)
			},
			want: []pager.PageInfo{
				{Offset: 0, Items: 3, Attempts: 1},
				{Offset: 3, Token: "@3", Items: 2, Attempts: 1},
			},
		},
		{
			label: "page number",
			src: func(opts ...pager.Option) pager.Source[int] {
				srv := &numbered{n: 5}
				return pager.PageNumber(srv.fetch, append(opts, pager.PageSize(3))...)
			},
			want: []pager.PageInfo{
				{Offset: 0, Page: 1, Items: 3, Attempts: 1},
				{Offset: 3, Page: 2, Items: 2, Attempts: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			var got []pager.PageInfo
			c := &clock{t: time.Unix(1e9, 0)}
			opts := append(c.options(),
				pager.Retry(pager.RetryPolicy{Attempts: 2, MinDelay: time.Second, MaxDelay: time.Second}),
				pager.OnPage(func(pi pager.PageInfo) { got = append(got, pi) }))
			if _, err := pager.Collect(pager.All(context.Background(), tt.src(opts...))); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
		})
	}
}
