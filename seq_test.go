package pager_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
	"go.uber.org/goleak"
)

// userSource is a Source written outside the package: it takes All's
// generic path.
type userSource struct{ inner pager.Source[int] }

func (s userSource) Pages(ctx context.Context) iter.Seq2[pager.Page[int], error] {
	return s.inner.Pages(ctx)
}

// sources returns the kinds of source over srv that every rule must hold for.
func sources(srv *pagetest.Server, opts ...pager.Option) map[string]pager.Source[int] {
	return map[string]pager.Source[int]{
		"offset": pager.Offset(srv.Offset, opts...),
		"token":  pager.Token(srv.Token, opts...),
		"user":   userSource{pager.Offset(srv.Offset, opts...)},
	}
}

// pagesFor is how many fetches it takes to yield n items of a listing of
// size with pages of size limit and a reported total.
func pagesFor(n, limit int) int { return max(1, (n+limit-1)/limit) }

// TestBreakEverywhere breaks out of the loop after every item in turn, and
// checks that no page was fetched that the loop did not need. If yield were
// called after it returned false, the range statement would panic.
func TestBreakEverywhere(t *testing.T) {
	const n, limit = 35, 10
	for name := range sources(&pagetest.Server{}) {
		for stop := 1; stop <= n; stop++ {
			srv := &pagetest.Server{N: n, Total: true}
			count := 0
			for _, err := range pager.All(context.Background(), sources(srv, pager.PageSize(limit))[name]) {
				if err != nil {
					t.Fatal(err)
				}
				if count++; count == stop {
					break
				}
			}
			if count != stop {
				t.Fatalf("%s: got %d items, want %d", name, count, stop)
			}
			if got, want := srv.Calls(), pagesFor(stop, limit); got != want {
				t.Errorf("%s: break after %d items: got %d fetches, want %d", name, stop, got, want)
			}
		}
	}
}

func TestBreakOnPages(t *testing.T) {
	srv := &pagetest.Server{N: 100}
	for p, err := range pager.Offset(srv.Offset, pager.PageSize(10)).Pages(context.Background()) {
		if err != nil || p.Offset == 20 {
			break
		}
	}
	if got := srv.Calls(); got != 3 {
		t.Errorf("got %d fetches, want 3", got)
	}
}

func TestTakeFetches(t *testing.T) {
	const limit = 10
	for _, n := range []int{0, 1, 9, 10, 11, 20, 35, 100} {
		for name := range sources(&pagetest.Server{}) {
			srv := &pagetest.Server{N: 35}
			items, errs, _ := pagetest.Drain(pager.Take(pager.All(context.Background(), sources(srv, pager.PageSize(limit))[name]), n))
			want := pagetest.Ints(min(n, 35))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(want, items, cmpEmpty); diff != "" {
				t.Errorf("%s: Take(%d) (-want +got):\n%s", name, n, diff)
			}
			wantCalls := pagesFor(n, limit)
			switch {
			case n == 0:
				wantCalls = 0 // Take(0) does not start the walk
			case n > 35 && name == "token":
				wantCalls = 4 // the last page has no Next
			case n > 35:
				wantCalls = 5 // no total: the empty page past the end
			}
			if got := srv.Calls(); got != wantCalls {
				t.Errorf("%s: Take(%d): got %d fetches, want %d", name, n, got, wantCalls)
			}
		}
	}
}

func TestFilterTakeFetches(t *testing.T) {
	srv := &pagetest.Server{N: 1000}
	even := func(i int) bool { return i%2 == 0 }
	seq := pager.Take(pager.Filter(pager.All(context.Background(), pager.Offset(srv.Offset, pager.PageSize(10))), even), 10)
	items, err := pager.Collect(seq)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}, items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if got := srv.Calls(); got != 2 {
		t.Errorf("got %d fetches, want 2: the 10th even number is on the 2nd page", got)
	}
}

// TestOneError checks, for every combinator, that an error is yielded once,
// last, even to a loop that ranges on after it.
func TestOneError(t *testing.T) {
	boom := errors.New("boom")
	walk := func() iter.Seq2[int, error] {
		srv := &pagetest.Server{N: 100, Fail: func(call int, _ pager.Request) error {
			if call == 3 {
				return boom
			}
			return nil
		}}
		return pager.All(context.Background(), pager.Offset(srv.Offset, pager.PageSize(10)))
	}
	tests := []struct {
		label     string
		seq       iter.Seq2[int, error]
		wantItems int
	}{
		{"All", walk(), 20},
		{"All of a user source", pager.All[int](context.Background(), userSource{pager.Offset((&pagetest.Server{N: 100, Fail: failFirst(1, boom)}).Offset)}), 0},
		{"Take", pager.Take(walk(), 50), 20},
		{"Filter", pager.Filter(walk(), func(i int) bool { return i%3 == 0 }), 7},
		{"Map", pager.Map(walk(), func(i int) int { return 2 * i }), 20},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			items, errs, errAt := pagetest.Drain(tt.seq)
			if len(errs) != 1 || !errors.Is(errs[0], boom) || errAt[0] != len(items) {
				t.Fatalf("got errors %v at %v of %d items, want one boom, last", errs, errAt, len(items))
			}
			if len(items) != tt.wantItems {
				t.Errorf("got %d items before the error, want %d", len(items), tt.wantItems)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name := range sources(&pagetest.Server{}) {
		srv := &pagetest.Server{N: 10}
		_, err := pager.Collect(pager.All(ctx, sources(srv)[name]))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", name, err)
		}
		if got := srv.Calls(); got != 0 {
			t.Errorf("%s: got %d fetches, want 0", name, got)
		}
	}
}

func TestCancelMidWalk(t *testing.T) {
	for name := range sources(&pagetest.Server{}) {
		ctx, cancel := context.WithCancel(context.Background())
		srv := &pagetest.Server{N: 100}
		n := 0
		var err error
		for _, e := range pager.All(ctx, sources(srv, pager.PageSize(10))[name]) {
			if e != nil {
				err = e
				continue
			}
			if n++; n == 15 {
				cancel()
			}
		}
		cancel()
		var pe *pager.PageError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Offset != 20 {
			t.Errorf("%s: got %v, want context.Canceled at offset 20", name, err)
		}
		if n != 20 || srv.Calls() != 2 {
			t.Errorf("%s: got %d items and %d fetches, want 20 and 2", name, n, srv.Calls())
		}
	}
}

func TestCollect(t *testing.T) {
	boom := errors.New("boom")
	srv := &pagetest.Server{N: 30, Fail: func(call int, _ pager.Request) error {
		if call == 2 {
			return boom
		}
		return nil
	}}
	items, err := pager.Collect(pager.All(context.Background(), pager.Offset(srv.Offset, pager.PageSize(10))))
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want boom", err)
	}
	if diff := cmp.Diff(pagetest.Ints(10), items); diff != "" {
		t.Errorf("items before the error (-want +got):\n%s", diff)
	}
}

func TestValues(t *testing.T) {
	srv := &pagetest.Server{N: 25}
	var err error
	got := slices.Sorted(pager.Values(pager.Map(pager.All(context.Background(), pager.Offset(srv.Offset, pager.PageSize(10))), func(i int) int { return -i }), &err))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 || got[0] != -24 || got[24] != 0 {
		t.Errorf("got %v, want -24..0", got)
	}

	boom := errors.New("boom")
	srv = &pagetest.Server{N: 25}
	srv.Fail = func(call int, _ pager.Request) error {
		if call == 2 {
			return boom
		}
		return nil
	}
	got = slices.Collect(pager.Values(pager.All(context.Background(), pager.Offset(srv.Offset, pager.PageSize(10))), &err))
	if !errors.Is(err, boom) || len(got) != 10 {
		t.Errorf("got %d items and %v, want 10 and boom", len(got), err)
	}
}

func TestKeyed(t *testing.T) {
	srv := &pagetest.Server{N: 5}
	var err error
	got := maps.Collect(pager.KeyBy(pager.All(context.Background(), pager.Offset(srv.Offset)), strconv.Itoa, &err))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"0": 0, "1": 1, "2": 2, "3": 3, "4": 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("map (-want +got):\n%s", diff)
	}

	boom := errors.New("boom")
	srv = &pagetest.Server{N: 5, Fail: failFirst(1, boom)}
	got = maps.Collect(pager.KeyBy(pager.All(context.Background(), pager.Offset(srv.Offset)), strconv.Itoa, &err))
	if !errors.Is(err, boom) || len(got) != 0 {
		t.Errorf("got %v and %v, want an empty map and boom", got, err)
	}
}

// watchedSource is a user-written Source that reports when its Pages
// iterator returns, and can panic.
type watchedSource struct {
	inner    pager.Source[int]
	returned chan struct{}
	panicAt  int // panic when asked for the page at this offset; 0: never
}

func (s *watchedSource) Pages(ctx context.Context) iter.Seq2[pager.Page[int], error] {
	return func(yield func(pager.Page[int], error) bool) {
		defer close(s.returned)
		for p, err := range s.inner.Pages(ctx) {
			if s.panicAt > 0 && p.Offset == s.panicAt {
				panic(fmt.Sprintf("source panic at %d", p.Offset))
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

func TestUserSourceStops(t *testing.T) {
	srv := &pagetest.Server{N: 100}
	src := &watchedSource{inner: pager.Offset(srv.Offset, pager.PageSize(10)), returned: make(chan struct{})}
	for i, err := range pager.All[int](context.Background(), src) {
		if err != nil || i == 15 {
			break
		}
	}
	select {
	case <-src.returned:
	default:
		t.Fatal("the source's Pages iterator had not returned when the loop did")
	}
	if got := srv.Calls(); got != 2 {
		t.Errorf("got %d fetches, want 2", got)
	}
}

func TestUserSourcePanic(t *testing.T) {
	srv := &pagetest.Server{N: 100}
	src := &watchedSource{inner: pager.Offset(srv.Offset, pager.PageSize(10)), returned: make(chan struct{}), panicAt: 20}
	defer func() {
		if r := recover(); r != "source panic at 20" {
			t.Errorf("got panic %v, want the source's", r)
		}
	}()
	for range pager.All[int](context.Background(), src) {
	}
	t.Error("the loop ended without the source's panic")
}

// TestBodyPanic recovers a panic in the loop body over a user source, and
// checks that the source is stopped and nothing leaks.
func TestBodyPanic(t *testing.T) {
	srv := &pagetest.Server{N: 100}
	src := &watchedSource{inner: pager.Offset(srv.Offset, pager.PageSize(10)), returned: make(chan struct{})}
	func() {
		defer func() { recover() }()
		for i := range pager.All[int](context.Background(), src) {
			if i == 15 {
				panic("body")
			}
		}
	}()
	// The walk is stopped once it is unreachable.
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		select {
		case <-src.returned:
			goleak.VerifyNone(t)
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the source was not stopped after the loop body panicked")
		}
	}
}

// TestCombinatorsBreakEverywhere breaks out of every combinator's loop at
// every position. Were yield called after it returned false, the range
// statement would panic.
func TestCombinatorsBreakEverywhere(t *testing.T) {
	const n = 25
	all := func() iter.Seq2[int, error] {
		return pager.All(context.Background(), pager.Offset((&pagetest.Server{N: n}).Offset, pager.PageSize(10)))
	}
	id := func(i int) int { return i }
	var cp pager.Checkpoint
	seqs := map[string]func() iter.Seq2[int, error]{
		"Take":             func() iter.Seq2[int, error] { return pager.Take(all(), n) },
		"Filter":           func() iter.Seq2[int, error] { return pager.Filter(all(), func(int) bool { return true }) },
		"Map":              func() iter.Seq2[int, error] { return pager.Map(all(), id) },
		"Dedupe":           func() iter.Seq2[int, error] { return pager.Dedupe(all(), id) },
		"RejectDuplicates": func() iter.Seq2[int, error] { return pager.RejectDuplicates(all(), id) },
		"AllFrom": func() iter.Seq2[int, error] {
			cp = pager.Checkpoint{}
			return pager.AllFrom(context.Background(), pager.Offset((&pagetest.Server{N: n}).Offset, pager.PageSize(10)), &cp)
		},
		"Values": func() iter.Seq2[int, error] {
			var err error
			values := pager.Values(all(), &err)
			return func(yield func(int, error) bool) {
				for v := range values {
					if !yield(v, nil) {
						return
					}
				}
			}
		},
	}
	for name, seq := range seqs {
		for stop := 1; stop <= n; stop++ {
			count := 0
			for v, err := range seq() {
				if err != nil || v != count {
					t.Fatalf("%s: got (%d, %v) at %d", name, v, err, count)
				}
				if count++; count == stop {
					break
				}
			}
			if count != stop {
				t.Errorf("%s: got %d items, want %d", name, count, stop)
			}
		}
	}
}
