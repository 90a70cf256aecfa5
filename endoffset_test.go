package pager_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// TestEndOffset walks bounded Offset walks over servers that clamp, cut
// pages short, report a Total or Last or nothing, and checks the items and
// the very requests the server saw: none at or past the bound, the last
// asking for no more than the items left. A Prefetch of each walk yields
// the same items, and none of its requests goes past the bound either.
func TestEndOffset(t *testing.T) {
	tests := []struct {
		label      string
		srv        *pagetest.Server
		opts       []pager.Option
		start, end int
		wantEnd    int             // the walk yields start..wantEnd-1
		wantReqs   []pager.Request // of the sequential walk
		reason     string
	}{
		{
			label: "a range in the middle", srv: &pagetest.Server{N: 5000, Total: true},
			opts: []pager.Option{pager.PageSize(300)}, start: 1000, end: 2000, wantEnd: 2000,
			wantReqs: reqs(1000, 300, 1300, 300, 1600, 300, 1900, 100),
			reason:   "the last page asks for the 100 items left, not 300",
		},
		{
			label: "a bound on a page boundary", srv: &pagetest.Server{N: 5000},
			opts: []pager.Option{pager.PageSize(300)}, start: 0, end: 600, wantEnd: 600,
			wantReqs: reqs(0, 300, 300, 300),
			reason:   "the bound ends the walk: no empty page is asked for past it",
		},
		{
			label: "MaxPageSize clamps first", srv: &pagetest.Server{N: 5000},
			opts: []pager.Option{pager.PageSize(500), pager.MaxPageSize(200)}, start: 0, end: 450, wantEnd: 450,
			wantReqs: reqs(0, 200, 200, 200, 400, 50),
			reason:   "the limit is PageSize clamped to MaxPageSize, then to the items left",
		},
		{
			label: "a server that clamps", srv: &pagetest.Server{N: 5000, Clamp: 70},
			opts: []pager.Option{pager.PageSize(100)}, start: 0, end: 250, wantEnd: 250,
			wantReqs: reqs(0, 100, 70, 100, 140, 100, 210, 40),
			reason:   "offsets advance by the items received; the limit shrinks only near the bound",
		},
		{
			label: "a server that cuts pages short", srv: &pagetest.Server{N: 5000, Short: func(pager.Request) int { return 37 }},
			opts: []pager.Option{pager.PageSize(50)}, start: 10, end: 110, wantEnd: 110,
			wantReqs: reqs(10, 50, 47, 50, 84, 26),
			reason:   "37 of 50 is not the end, and 26 asked is what is left",
		},
		{
			label: "a Total below the bound", srv: &pagetest.Server{N: 150, Total: true},
			opts: []pager.Option{pager.PageSize(100)}, start: 0, end: 1000, wantEnd: 150,
			wantReqs: reqs(0, 100, 100, 100),
			reason:   "reaching Total ends the walk before the bound",
		},
		{
			label: "a listing shorter than the bound", srv: &pagetest.Server{N: 150},
			opts: []pager.Option{pager.PageSize(100)}, start: 0, end: 1000, wantEnd: 150,
			wantReqs: reqs(0, 100, 100, 100, 150, 100),
			reason:   "with no Total, an empty page ends the walk, as without a bound",
		},
		{
			label: "Last before the bound", srv: &pagetest.Server{N: 150, Last: true},
			opts: []pager.Option{pager.PageSize(100)}, start: 0, end: 1000, wantEnd: 150,
			wantReqs: reqs(0, 100, 100, 100),
			reason:   "Last ends the walk before the bound",
		},
		{
			label: "StopOnShortPage, the last page asked short", srv: &pagetest.Server{N: 5000},
			opts: []pager.Option{pager.PageSize(100), pager.StopOnShortPage()}, start: 0, end: 250, wantEnd: 250,
			wantReqs: reqs(0, 100, 100, 100, 200, 50),
			reason:   "a page of the 50 asked for is not short",
		},
		{
			label: "StopOnShortPage, a short page before the bound", srv: &pagetest.Server{N: 5000, Short: func(r pager.Request) int { return 37 }},
			opts: []pager.Option{pager.PageSize(100), pager.StopOnShortPage()}, start: 0, end: 250, wantEnd: 37,
			wantReqs: reqs(0, 100),
			reason:   "a short page ends such a walk, bound or not",
		},
		{
			label: "an empty range", srv: &pagetest.Server{N: 5000},
			start: 500, end: 500, wantEnd: 500,
			reason: "nothing to fetch: no request",
		},
		{
			label: "a range past the listing", srv: &pagetest.Server{N: 100},
			start: 200, end: 300, wantEnd: 200,
			wantReqs: reqs(200, 100),
			reason:   "an empty page ends it",
		},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1, 2, 4} { // 0: no Prefetch
			srv := fresh(tt.srv)
			src := pager.Offset(srv.Offset, append([]pager.Option{pager.StartOffset(tt.start), pager.EndOffset(tt.end)}, tt.opts...)...)
			label := tt.label
			if n > 0 {
				src, label = pager.Prefetch(src, n), fmt.Sprintf("%s, Prefetch(%d)", label, n)
			}
			got, err := pager.Collect(pager.All(context.Background(), src))
			if err != nil {
				t.Errorf("%s: %v", label, err)
			}
			if diff := cmp.Diff(ints(tt.start, tt.wantEnd), got); diff != "" {
				t.Errorf("%s: items (-want +got):\n%s", label, diff)
			}
			if n == 0 {
				if diff := cmp.Diff(tt.wantReqs, srv.Requests()); diff != "" {
					t.Errorf("%s: %s; requests (-want +got):\n%s", label, tt.reason, diff)
				}
			}
			if err := withinBound(srv.Requests(), tt.end); err != nil {
				t.Errorf("%s: %v", label, err)
			}
		}
	}
}

// fresh returns a server configured as s, that has served nothing.
func fresh(s *pagetest.Server) *pagetest.Server {
	return &pagetest.Server{N: s.N, Clamp: s.Clamp, Total: s.Total, Last: s.Last, Short: s.Short, Fail: s.Fail}
}

// withinBound returns an error naming the first request that asks for an
// item at or past end.
func withinBound(reqs []pager.Request, end int) error {
	for i, r := range reqs {
		if r.Offset >= end || r.Offset+r.Limit > end {
			return fmt.Errorf("request %d of %d, %+v, asks past EndOffset(%d): %v", i+1, len(reqs), r, end, reqs)
		}
	}
	return nil
}

// reqs returns the Offset requests of the given offsets and limits, in pairs.
func reqs(offsetLimit ...int) []pager.Request {
	var rs []pager.Request
	for i := 0; i < len(offsetLimit); i += 2 {
		rs = append(rs, pager.Request{Offset: offsetLimit[i], Limit: offsetLimit[i+1]})
	}
	return rs
}

// ints returns from, from+1, …, to-1, or nil if there are none.
func ints(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestEndOffsetMoreThanAsked checks that a server answering with more items
// than the limit asked for has the ones past the bound dropped, with and
// without Prefetch: the walk never yields past EndOffset.
func TestEndOffsetMoreThanAsked(t *testing.T) {
	var calls atomic.Int32
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		calls.Add(1)
		return pager.Page[int]{Items: ints(req.Offset, req.Offset+req.Limit+5), Total: 10000}, nil
	}
	for _, n := range []int{0, 1, 3} {
		calls.Store(0)
		var src pager.Source[int] = pager.Offset(fetch, pager.StartOffset(100), pager.EndOffset(1000), pager.PageSize(100))
		if n > 0 {
			src = pager.Prefetch(src, n)
		}
		var pages []int
		for p, err := range src.Pages(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			if end := p.Offset + len(p.Items); end > 1000 {
				t.Errorf("Prefetch(%d): page at %d ends at %d, past the bound", n, p.Offset, end)
			}
			pages = append(pages, p.Items...)
		}
		if diff := cmp.Diff(ints(100, 1000), pages); diff != "" {
			t.Errorf("Prefetch(%d): items (-want +got):\n%s", n, diff)
		}
		if n == 0 && calls.Load() != 9 { // 105 items a page: 100, 205, …, 835, 940 (asked 60)
			t.Errorf("%d fetches, want 9", calls.Load())
		}
	}
}

// TestEndOffsetStrictTotal checks that StrictTotal sees only the pages of
// the bounded range: a Total that changes past the bound is not fetched.
func TestEndOffsetStrictTotal(t *testing.T) {
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		total := 1000
		if req.Offset >= 200 {
			total = 1001 // an item added while the walk passed 200
		}
		return pager.Page[int]{Items: ints(req.Offset, min(req.Offset+req.Limit, 1000)), Total: total}, nil
	}
	got, err := pager.Collect(pager.All(context.Background(), pager.Offset(fetch, pager.EndOffset(200), pager.StrictTotal())))
	if err != nil || len(got) != 200 {
		t.Errorf("bounded before the change: %d items, %v; want 200, no error", len(got), err)
	}
	_, err = pager.Collect(pager.All(context.Background(), pager.Offset(fetch, pager.EndOffset(300), pager.StrictTotal())))
	if !errors.Is(err, pager.ErrTotalChanged) {
		t.Errorf("bounded after the change: %v, want ErrTotalChanged", err)
	}
}

// TestEndOffsetResume breaks a bounded walk after every item and resumes it
// from its checkpoint, with AllFrom and with Resume, with and without
// Prefetch: the two parts make the range, and no request of either goes
// past the bound.
func TestEndOffsetResume(t *testing.T) {
	part := pager.Partition{Start: 1000, End: 1130}
	for _, n := range []int{0, 3} {
		build := func(srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
			src := pager.Offset(srv.Offset, append(append(part.Options(), pager.PageSize(50)), opts...)...)
			if n > 0 {
				src = pager.Prefetch(src, n)
			}
			return src
		}
		for k := range part.End - part.Start + 1 {
			srv := &pagetest.Server{N: 5000, Clamp: 40}
			var cp pager.Checkpoint
			var got []int
			for v, err := range pager.AllFrom(context.Background(), build(srv), &cp) {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == k {
					break
				}
				got = append(got, v)
			}
			if k < part.End-part.Start && cp.Offset != part.Start+k+1 {
				t.Fatalf("Prefetch(%d), break after %d: checkpoint %v", n, k, cp)
			}
			if k > 0 || cp != (pager.Checkpoint{}) {
				cp = pager.Checkpoint{Offset: part.Start + k} // the item not processed is the next
			}
			// Resume in a new process: with AllFrom, and with Resume.
			first := got
			rest, err := pager.Collect(pager.AllFrom(context.Background(), build(srv), &cp))
			if diff := cmp.Diff(ints(part.Start, part.End), append(first, rest...)); err != nil || diff != "" {
				t.Fatalf("Prefetch(%d), break after %d, AllFrom: %v (-want +got):\n%s", n, k, err, diff)
			}
			srv2 := &pagetest.Server{N: 5000, Clamp: 40}
			rest, err = pager.Collect(pager.All(context.Background(), build(srv2, pager.Resume(pager.Checkpoint{Offset: part.Start + k}))))
			if diff := cmp.Diff(ints(part.Start, part.End), append(first[:k:k], rest...)); err != nil || diff != "" {
				t.Fatalf("Prefetch(%d), break after %d, Resume: %v (-want +got):\n%s", n, k, err, diff)
			}
			for _, s := range []*pagetest.Server{srv, srv2} {
				if err := withinBound(s.Requests(), part.End); err != nil {
					t.Fatalf("Prefetch(%d), break after %d: %v", n, k, err)
				}
			}
		}
	}
}

// TestEndOffsetMisuse checks the panics of a bound that cannot be, and the
// error of a checkpoint past it.
func TestEndOffsetMisuse(t *testing.T) {
	srv := &pagetest.Server{N: 100}
	for _, tt := range []struct {
		label string
		build func()
		want  string
	}{
		{"negative", func() { pager.EndOffset(-1) }, "pager: EndOffset(-1): negative offset"},
		{"start past it", func() { pager.Offset(srv.Offset, pager.StartOffset(10), pager.EndOffset(5)) }, "pager: Offset source starts at 10, past its EndOffset(5)"},
		{"resumed past it", func() { pager.Offset(srv.Offset, pager.EndOffset(5), pager.Resume(pager.Checkpoint{Offset: 6})) }, "pager: Offset source starts at 6, past its EndOffset(5)"},
		{"a backward partition", func() { pager.Partition{Start: 5, End: 4}.Options() }, "pager: partition offsets 5-4: not a range of offsets"},
	} {
		func() {
			defer func() {
				if got, _ := recover().(string); got != tt.want {
					t.Errorf("%s: got panic %q, want %q", tt.label, got, tt.want)
				}
			}()
			tt.build()
		}()
	}
	cp := pager.Checkpoint{Offset: 6}
	_, err := pager.Collect(pager.AllFrom(context.Background(), pager.Offset(srv.Offset, pager.EndOffset(5)), &cp))
	if want := "pager: checkpoint offset=6 is past the walk's EndOffset(5)"; err == nil || err.Error() != want {
		t.Errorf("AllFrom a checkpoint past the bound: %v, want %q", err, want)
	}
	if srv.Calls() != 0 {
		t.Errorf("%d requests, want none", srv.Calls())
	}
}

// TestEndOffsetRandom compares bounded walks with and without Prefetch over
// random servers — clamping, cutting pages short, reporting a Total or
// Last or nothing, failing for good at some offset — and checks that the
// sequential walk yields the range, that the Prefetch walk yields exactly
// what it does, and that no request of either goes past the bound.
func TestEndOffsetRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	cases := 1500
	if raceEnabled {
		cases = 300 // the fetches run on Prefetch's goroutines: a few cases are enough for the race detector
	}
	for i := range cases {
		n := r.IntN(300)
		start := r.IntN(n + 20)
		end := start + r.IntN(n+20)
		srv := &pagetest.Server{N: n, Total: r.IntN(2) == 0, Last: r.IntN(3) == 0}
		if r.IntN(3) == 0 {
			srv.Clamp = 1 + r.IntN(30)
		}
		if r.IntN(3) == 0 {
			m := 1 + r.IntN(20)
			srv.Short = func(req pager.Request) int { return 1 + req.Offset%m }
		}
		failAt := -1
		if r.IntN(4) == 0 {
			failAt = r.IntN(n + 20)
			srv.Fail = func(_ int, req pager.Request) error {
				if req.Offset >= failAt {
					return errDown
				}
				return nil
			}
		}
		opts := []pager.Option{pager.StartOffset(start), pager.EndOffset(end), pager.PageSize(1 + r.IntN(40))}
		if r.IntN(3) == 0 {
			opts = append(opts, pager.MaxPageSize(1+r.IntN(40)))
		}
		prefetch := 1 + r.IntN(6)
		where := fmt.Sprintf("case %d: %d items, [%d, %d), clamp %d, total %v, last %v, fail at %d, Prefetch(%d)", i, n, start, end, srv.Clamp, srv.Total, srv.Last, failAt, prefetch)

		seqSrv, preSrv := fresh(srv), fresh(srv)
		want, wantErr := pager.Collect(pager.All(context.Background(), pager.Offset(seqSrv.Offset, opts...)))
		got, gotErr := pager.Collect(pager.All(context.Background(), pager.Prefetch(pager.Offset(preSrv.Offset, opts...), prefetch)))
		if diff := cmp.Diff(want, got); diff != "" || fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
			t.Fatalf("%s: Prefetch yields %v, sequential %v; items (-sequential +prefetch):\n%s", where, gotErr, wantErr, diff)
		}
		// A failure cuts the walk short at a page that starts at failAt or
		// past it; without one, the walk yields the range.
		wantEnd := min(end, max(n, start))
		if wantErr != nil {
			if !errors.Is(wantErr, errDown) || failAt < 0 {
				t.Fatalf("%s: %v", where, wantErr)
			}
			wantEnd = start + len(want)
		}
		if diff := cmp.Diff(ints(start, wantEnd), want); diff != "" {
			t.Fatalf("%s: items (-want +got):\n%s", where, diff)
		}
		for _, s := range []*pagetest.Server{seqSrv, preSrv} {
			if err := withinBound(s.Requests(), end); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		}
	}
}

var errDown = errors.New("down")

// FuzzEndOffset walks a bounded range of a listing served by a server whose
// every answer the fuzzer chooses: pages clamped, cut short, or longer than
// asked, a total or has_more or neither, a failure now and then. The walk
// yields the range, or a prefix of it and a *PageError that says where to
// resume, and no request asks for an item at or past the bound.
func FuzzEndOffset(f *testing.F) {
	f.Add([]byte{37, 10, 5, 20})
	f.Add([]byte{100, 7, 30, 33, 1, 0x93, 2, 0xff, 0x40, 3, 0x81})
	f.Add([]byte{0, 1, 0, 0})
	f.Add([]byte{200, 200, 0, 255, 0x55, 0x55, 0x55, 0xaa, 0xaa})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := script(data)
		n, limit := int(s.next()), 1+int(s.next())%64
		start := int(s.next())
		end := start + int(s.next())
		reportTotal, reportLast := len(data)%2 == 0, len(data)%3 == 0
		var reqs []pager.Request
		fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
			if reqs = append(reqs, req); len(reqs) > 4*(n+2)+len(data) {
				t.Fatalf("%d fetches for %d items: the walk does not end", len(reqs), n)
			}
			b := s.next()
			if b == 0xff {
				return pager.Page[int]{}, errFuzz
			}
			size := req.Limit
			switch b & 3 {
			case 1:
				size = 1 + int(b>>2)%req.Limit // a short page
			case 2:
				size = req.Limit + int(b>>2) // more than asked
			}
			var p pager.Page[int]
			for i := req.Offset; i < min(req.Offset+size, n); i++ {
				p.Items = append(p.Items, i)
			}
			if reportTotal {
				p.Total = n
			}
			p.Last = reportLast && req.Offset+len(p.Items) >= n
			return p, nil
		}
		opts := append(fuzzPolicy, pager.PageSize(limit), pager.StartOffset(start), pager.EndOffset(end))
		items, errs, _ := pagetest.Drain(pager.All(context.Background(), pager.Offset(fetch, opts...)))
		if err := withinBound(reqs, end); err != nil {
			t.Fatal(err)
		}
		if want := ints(start, start+len(items)); !slices.Equal(items, want) {
			t.Fatalf("items %v, want %d from %d on", items, len(items), start)
		}
		switch {
		case len(errs) > 1:
			t.Fatalf("got %d errors, want at most one: %v", len(errs), errs)
		case len(errs) == 0 && start+len(items) != max(min(end, n), start):
			t.Fatalf("got %d items and no error, want [%d, %d) of %d", len(items), start, end, n)
		case len(errs) == 1:
			var pe *pager.PageError
			if !errors.As(errs[0], &pe) || !errors.Is(errs[0], errFuzz) {
				t.Fatalf("got error %v, want a *PageError", errs[0])
			}
			if pe.Offset != start+len(items) {
				t.Fatalf("error at offset %d after %d items from %d: resuming there would lose or repeat items", pe.Offset, len(items), start)
			}
		}
	})
}
