package pager_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

func TestOffsetWalk(t *testing.T) {
	tests := []struct {
		label     string
		srv       *pagetest.Server
		opts      []pager.Option
		wantItems int // the walk yields 0..wantItems-1
		wantCalls int
		reason    string
	}{
		{
			label: "empty listing", srv: &pagetest.Server{},
			wantItems: 0, wantCalls: 1,
			reason: "the first, empty page ends the walk",
		},
		{
			label: "bare array", srv: &pagetest.Server{N: 250},
			wantItems: 250, wantCalls: 4,
			reason: "with no total and no has_more, only an empty page ends the walk",
		},
		{
			label: "bare array, exact multiple", srv: &pagetest.Server{N: 300},
			wantItems: 300, wantCalls: 4,
			reason: "a full last page is followed by an empty one",
		},
		{
			label: "total", srv: &pagetest.Server{N: 250, Total: true},
			wantItems: 250, wantCalls: 3,
			reason: "reaching Total ends the walk without an extra request",
		},
		{
			label: "total, exact multiple", srv: &pagetest.Server{N: 300, Total: true},
			wantItems: 300, wantCalls: 3,
			reason: "reaching Total ends the walk without an extra request",
		},
		{
			label: "has_more", srv: &pagetest.Server{N: 250, Last: true},
			wantItems: 250, wantCalls: 3,
			reason: "Last ends the walk",
		},
		{
			label: "has_more, empty", srv: &pagetest.Server{Last: true, Total: true},
			wantItems: 0, wantCalls: 1,
			reason: "an empty listing takes one request",
		},
		{
			label: "clamped limit", srv: &pagetest.Server{N: 1000, Clamp: 200},
			opts:      []pager.Option{pager.PageSize(999)},
			wantItems: 1000, wantCalls: 6,
			reason: "a server that clamps 999 to 200 returns short pages that are not the end",
		},
		{
			label: "clamped limit, total", srv: &pagetest.Server{N: 1000, Clamp: 200, Total: true},
			opts:      []pager.Option{pager.PageSize(999)},
			wantItems: 1000, wantCalls: 5,
			reason: "the offset advances by the 200 received, not the 999 asked for",
		},
		{
			label: "rate limited", srv: &pagetest.Server{N: 400, Total: true, Short: func(pager.Request) int { return 37 }},
			opts:      []pager.Option{pager.PageSize(200)},
			wantItems: 400, wantCalls: 11,
			reason: "37 of 200 is not the end; nothing is lost",
		},
		{
			label: "short page ends, opted in", srv: &pagetest.Server{N: 250},
			opts:      []pager.Option{pager.StopOnShortPage()},
			wantItems: 250, wantCalls: 3,
			reason: "with StopOnShortPage the page of 50 ends the walk",
		},
		{
			label: "short page ends, exact multiple", srv: &pagetest.Server{N: 200},
			opts:      []pager.Option{pager.StopOnShortPage()},
			wantItems: 200, wantCalls: 3,
			reason: "a full last page still needs the empty one after it",
		},
		{
			label: "short page ends early on clamp", srv: &pagetest.Server{N: 1000, Clamp: 200},
			opts:      []pager.Option{pager.PageSize(999), pager.StopOnShortPage()},
			wantItems: 200, wantCalls: 1,
			reason: "the opt-in trusts short pages: it is wrong for a clamping server, which is why it is opt-in",
		},
		{
			label: "max page size", srv: &pagetest.Server{N: 1000, Total: true},
			opts:      []pager.Option{pager.PageSize(5000), pager.MaxPageSize(1000)},
			wantItems: 1000, wantCalls: 1,
			reason: "the limit asked for is clamped to MaxPageSize",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			src := pager.Offset(tt.srv.Offset, tt.opts...)
			items, errs, _ := pagetest.Drain(pager.All(context.Background(), src))
			if len(errs) > 0 {
				t.Fatalf("errors %v, want none", errs)
			}
			if diff := cmp.Diff(pagetest.Ints(tt.wantItems), items, cmpEmpty); diff != "" {
				t.Errorf("items (-want +got):\n%s\n%s", diff, tt.reason)
			}
			if got := tt.srv.Calls(); got != tt.wantCalls {
				t.Errorf("got %d fetches, want %d: %s", got, tt.wantCalls, tt.reason)
			}
			if err := tt.srv.CheckOffsets(0); err != nil {
				t.Error(err)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []int) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal([]int(a), []int(b)) })

func TestOffsetRequests(t *testing.T) {
	srv := &pagetest.Server{N: 95, Short: func(r pager.Request) int {
		if r.Offset == 20 {
			return 7
		}
		return 0
	}}
	src := pager.Offset(srv.Offset, pager.PageSize(20), pager.StartOffset(0))
	if _, err := pager.Collect(pager.All(context.Background(), src)); err != nil {
		t.Fatal(err)
	}
	want := []pager.Request{
		{Offset: 0, Limit: 20}, {Offset: 20, Limit: 20}, {Offset: 27, Limit: 20},
		{Offset: 47, Limit: 20}, {Offset: 67, Limit: 20}, {Offset: 87, Limit: 20}, {Offset: 95, Limit: 20},
	}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestOffsetPages(t *testing.T) {
	srv := &pagetest.Server{N: 25, Last: true}
	var got []pager.Page[int]
	for p, err := range pager.Offset(srv.Offset, pager.PageSize(10)).Pages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	want := []pager.Page[int]{
		{Items: pagetest.Ints(25)[0:10], Offset: 0},
		{Items: pagetest.Ints(25)[10:20], Offset: 10},
		{Items: pagetest.Ints(25)[20:25], Offset: 20, Last: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestOffsetResume(t *testing.T) {
	srv := &pagetest.Server{N: 250, Total: true}
	src := pager.Offset(srv.Offset, pager.StartOffset(120))
	items, err := pager.Collect(pager.All(context.Background(), src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pagetest.Ints(250)[120:], items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if err := srv.CheckOffsets(120); err != nil {
		t.Error(err)
	}
}

func TestOffsetWalksAgain(t *testing.T) {
	srv := &pagetest.Server{N: 150}
	src := pager.Offset(srv.Offset, pager.StartOffset(30))
	seq := pager.All(context.Background(), src)
	first, _ := pager.Collect(seq)
	second, _ := pager.Collect(seq)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second walk differs (-first +second):\n%s", diff)
	}
	if len(first) != 120 {
		t.Errorf("got %d items, want 120", len(first))
	}
}

func TestLazy(t *testing.T) {
	srv := &pagetest.Server{N: 10}
	ctx := context.Background()
	offset := pager.Offset(srv.Offset)
	token := pager.Token(srv.Token)
	_ = offset.Pages(ctx)
	_ = token.Pages(ctx)
	seq := pager.Filter(pager.Take(pager.All(ctx, offset), 3), func(int) bool { return true })
	_ = pager.Map(seq, func(i int) int { return i })
	var err error
	_ = pager.Values(pager.All(ctx, token), &err)
	if got := srv.Calls(); got != 0 {
		t.Errorf("got %d fetches before ranging, want 0", got)
	}
}

// TestOffsetFailures fails each page in turn and checks what came before
// the error, the error itself, and that nothing follows it.
func TestOffsetFailures(t *testing.T) {
	boom := errors.New("boom")
	for page := 0; page < 4; page++ {
		srv := &pagetest.Server{N: 30, Fail: func(call int, _ pager.Request) error {
			if call == page+1 {
				return boom
			}
			return nil
		}}
		src := pager.Offset(srv.Offset, pager.PageSize(10))
		items, errs, errAt := pagetest.Drain(pager.All(context.Background(), src))
		if len(errs) != 1 || errAt[0] != len(items) {
			t.Fatalf("page %d: got errors %v at %v of %d items, want one, last", page, errs, errAt, len(items))
		}
		if diff := cmp.Diff(pagetest.Ints(10*page), items, cmpEmpty); diff != "" {
			t.Errorf("page %d: items before the error (-want +got):\n%s", page, diff)
		}
		var pe *pager.PageError
		if !errors.As(errs[0], &pe) || !errors.Is(errs[0], boom) {
			t.Fatalf("page %d: got %v, want a *PageError wrapping boom", page, errs[0])
		}
		if pe.Offset != 10*page || pe.Attempts != 1 || pe.Token != "" {
			t.Errorf("page %d: got %+v, want Offset %d, Attempts 1", page, pe, 10*page)
		}
		if got := srv.Calls(); got != page+1 {
			t.Errorf("page %d: got %d fetches, want %d", page, got, page+1)
		}
	}
}

func TestPageErrorMessages(t *testing.T) {
	tests := []struct {
		err  *pager.PageError
		want string
	}{
		{&pager.PageError{Offset: 200, Attempts: 1, Err: errors.New("503")}, "pager: page at offset 200: 503"},
		{&pager.PageError{Offset: 200, Attempts: 3, Err: errors.New("503")}, "pager: page at offset 200 after 3 attempts: 503"},
		{&pager.PageError{Offset: 7, Token: "abc", Attempts: 1, Err: pager.ErrRepeatedToken}, `pager: page with token "abc" (offset 7): repeated page token`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestOffsetBadOptions(t *testing.T) {
	srv := &pagetest.Server{}
	tests := []struct {
		label string
		build func()
	}{
		{"nil fetch", func() { pager.Offset[int](nil) }},
		{"StartToken", func() { pager.Offset(srv.Offset, pager.StartToken("x")) }},
		{"PageSize(0)", func() { pager.PageSize(0) }},
		{"MaxPageSize(-1)", func() { pager.MaxPageSize(-1) }},
		{"StartOffset(-1)", func() { pager.StartOffset(-1) }},
		{"MaxLineSize(0)", func() { pager.MaxLineSize(0) }},
		{"nil option", func() { pager.Offset(srv.Offset, nil) }},
		{"nil token fetch", func() { pager.Token[int](nil) }},
		{"ranging over All(nil)", func() { pager.Collect(pager.All[int](context.Background(), nil)) }},
		{"ranging over Take(-1)", func() { pager.Collect(pager.Take(pager.All(context.Background(), pager.Offset(srv.Offset)), -1)) }},
		{"ranging over Filter(nil)", func() { pager.Collect(pager.Filter(pager.All(context.Background(), pager.Offset(srv.Offset)), nil)) }},
		{"Values(nil)", func() { pager.Values(pager.All(context.Background(), pager.Offset(srv.Offset)), nil) }},
		{"negative delay", func() { pager.Retry(pager.RetryPolicy{MinDelay: -1}) }},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if len(msg) < 7 || msg[:7] != "pager: " {
					t.Errorf("got panic %v, want a \"pager: \" message", r)
				}
			}()
			tt.build()
		})
	}
	if got := srv.Calls(); got != 0 {
		t.Errorf("got %d fetches, want 0", got)
	}
}

// TestTotalOnFirstPageOnly walks a listing whose Total comes with the first
// page only: the walk ends on reaching it, without asking past it, with
// and without Prefetch; later pages carry the Total reported.
func TestTotalOnFirstPageOnly(t *testing.T) {
	for _, n := range []int{0, 3} {
		var offsets []int
		var mu sync.Mutex
		fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
			mu.Lock()
			offsets = append(offsets, req.Offset)
			mu.Unlock()
			if req.Offset >= 10 {
				return pager.Page[int]{}, errors.New("400: offset past the end")
			}
			p := pager.Page[int]{Items: pagetest.Ints(10)[req.Offset:min(req.Offset+5, 10)]}
			if req.Offset == 0 {
				p.Total = 10
			}
			return p, nil
		}
		var src pager.Source[int] = pager.Offset(fetch, pager.PageSize(5))
		if n > 0 {
			src = pager.Prefetch(src, n)
		}
		var totals []int
		for p, err := range src.Pages(context.Background()) {
			if err != nil {
				t.Fatalf("Prefetch %d: %v after offsets %v", n, err, offsets)
			}
			totals = append(totals, p.Total)
		}
		if !slices.Equal(totals, []int{10, 10}) {
			t.Errorf("Prefetch %d: pages' totals %v, want [10 10]", n, totals)
		}
		if slices.Contains(offsets, 10) && n == 0 {
			t.Errorf("got requests at %v, want none at 10", offsets)
		}
	}
}
