//go:build go1.25

package pager_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
	"go.uber.org/goleak"
)

// reviewListing is a listing of n items whose answer to a request is a
// function of the request alone: full, short, longer than asked, an error,
// a panic or runtime.Goexit, with a Total right, absent, above the end or
// changing.
type reviewListing struct {
	seed                uint64
	n                   int
	total               string // "", "right", "above", "changing"
	last                bool
	short, long         int // one request in short (long) answers short (long); 0: none
	fail, panic, goexit int // likewise
	deaf                int // one fetch in deaf ignores its context
}

func (l reviewListing) coin(req pager.Request, salt string, m int) int {
	if m <= 0 {
		return 1
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%d/%s", l.seed, req.Offset, req.Limit, salt)
	return int(h.Sum64() % uint64(m))
}

// answer is what the server answers req, or how the fetch fails.
func (l reviewListing) answer(req pager.Request) (pager.Page[int], error) {
	switch {
	case l.coin(req, "panic", l.panic) == 0:
		panic(&fetchPanic{req.Offset})
	case l.coin(req, "goexit", l.goexit) == 0:
		runtime.Goexit()
	case l.coin(req, "fail", l.fail) == 0:
		return pager.Page[int]{}, permanentErr{}
	}
	size := req.Limit
	switch {
	case l.coin(req, "short", l.short) == 0:
		size = 1 + l.coin(req, "len", req.Limit)
	case l.coin(req, "long", l.long) == 0:
		size = req.Limit + 1 + l.coin(req, "len", 5)
	}
	var p pager.Page[int]
	for i := req.Offset; i < min(req.Offset+size, l.n); i++ {
		p.Items = append(p.Items, i)
	}
	switch l.total {
	case "right":
		p.Total = l.n
	case "above":
		p.Total = l.n + 1000
	case "changing":
		p.Total = l.n + l.coin(req, "total", 3) - 1
	}
	p.Last = l.last && req.Offset+len(p.Items) >= l.n
	return p, nil
}

// reviewWalk is what a walk yielded, and how it ended.
type reviewWalk struct {
	Pages  []pager.Page[int]
	Err    error
	Panic  any  // what the range statement panicked with
	Goexit bool // the walk called runtime.Goexit
}

// walkSequential walks src on a goroutine of its own, where a fetch may
// call runtime.Goexit.
func walkSequential(src pager.Source[int]) (w reviewWalk) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		returned := false
		defer func() {
			if !returned {
				if w.Panic = recover(); w.Panic == nil {
					w.Goexit = true
				}
			}
		}()
		for p, err := range src.Pages(context.Background()) {
			if err != nil {
				w.Err = err
				continue
			}
			w.Pages = append(w.Pages, p)
		}
		returned = true
	}()
	<-done
	return w
}

// fetchRelease holds the fetches of a walk until a controller releases
// them, one at a time, in an order of its choosing, once the walk can go no
// further: any order of completions the fan-out must survive.
type fetchRelease struct {
	mu       sync.Mutex
	pending  []chan struct{}
	active   int // fetches running
	most     int // the most fetches that ran at once
	reqs     []pager.Request
	finished bool
	stuck    bool // no fetch to release, and the walk not over
}

func (c *fetchRelease) fetch(l reviewListing) pager.FetchFunc[int] {
	return func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		ch := make(chan struct{})
		c.mu.Lock()
		c.active++
		c.most = max(c.most, c.active)
		c.pending = append(c.pending, ch)
		c.reqs = append(c.reqs, req)
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.active--
			if i := slices.Index(c.pending, ch); i >= 0 {
				c.pending = slices.Delete(c.pending, i, i+1)
			}
			c.mu.Unlock()
		}()
		if l.coin(req, "deaf", l.deaf) == 0 {
			<-ch
		} else {
			select {
			case <-ch:
			case <-ctx.Done():
				return pager.Page[int]{}, ctx.Err()
			}
		}
		return l.answer(req)
	}
}

// control releases the fetches in the order order says until the walk is
// over.
func (c *fetchRelease) control(r *rand.Rand, order string) {
	for {
		synctest.Wait()
		c.mu.Lock()
		if c.finished {
			c.mu.Unlock()
			return
		}
		if len(c.pending) == 0 {
			c.stuck = true
			c.mu.Unlock()
			return
		}
		i := 0
		switch order {
		case "newest":
			i = len(c.pending) - 1
		case "random":
			i = r.IntN(len(c.pending))
		}
		ch := c.pending[i]
		c.pending = slices.Delete(c.pending, i, i+1)
		c.mu.Unlock()
		close(ch)
	}
}

func (c *fetchRelease) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active
}

// TestFanOutReviewAnyOrder walks random listings with Prefetch, its
// fetches completing in every order (oldest first, newest first, at
// random; some deaf to their context), and checks the fan-out's promises
// against a sequential walk of the same source: the same pages and final
// error, a fetch's panic or Goexit re-raised, at most n fetches at once,
// at most n requests past the end (2n past a Total above the end; none past
// a right Total but the first n), no fetch in flight when the loop body
// gets the last page or an error, none when the range statement returns,
// however the loop ends, and no deadlock: the walk never waits with no
// fetch to release.
func TestFanOutReviewAnyOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	for i, r := range randomCases(3000, 300, 0x7f4a7c15) {
		l := reviewListing{seed: r.Uint64(), n: r.IntN(50), last: r.IntN(2) == 0}
		l.total = []string{"", "right", "above", "changing"}[r.IntN(4)]
		for _, rate := range []*int{&l.short, &l.long, &l.fail, &l.panic, &l.goexit, &l.deaf} {
			if r.IntN(3) == 0 {
				*rate = 2 + r.IntN(30)
			}
		}
		n := 1 + r.IntN(6)
		opts := []pager.Option{pager.PageSize(1 + r.IntN(8))}
		if r.IntN(4) == 0 {
			opts = append(opts, pager.StartOffset(r.IntN(l.n+3)))
		}
		if r.IntN(4) == 0 {
			opts = append(opts, pager.EndOffset(l.n+3-r.IntN(l.n+3)))
		}
		if r.IntN(5) == 0 {
			opts = append(opts, pager.StopOnShortPage())
		}
		if r.IntN(3) == 0 {
			opts = append(opts, pager.StrictTotal())
		}
		order := []string{"oldest", "newest", "random"}[r.IntN(3)]
		end := []string{"range", "break", "panic"}[r.IntN(3)]
		stopAt := r.IntN(8)
		where := fmt.Sprintf("case %d (%+v, n=%d, %s first, %s at %d)", i, l, n, order, end, stopAt)

		var seqCalls int
		counting := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
			seqCalls++
			return l.answer(req)
		}
		seqSrc, ok := newOffset(counting, opts)
		if !ok {
			continue // Offset refuses the options: a start past EndOffset
		}
		want := reviewExpect(walkSequential(seqSrc), end, stopAt)
		// Whether the walk knows its last page for the last when it
		// yields it, and has stopped every fetch by then.
		knowsLast := want.Panic == nil && !want.Goexit && want.Err == nil && seqCalls == len(want.Pages) && end == "range"

		synctest.Test(t, func(t *testing.T) {
			var c fetchRelease
			go c.control(rand.New(rand.NewPCG(uint64(i), 1)), order)
			var got reviewWalk
			caller := goroutineID()
			func() {
				defer func() {
					got.Panic = recover()
				}()
				for p, err := range pager.Prefetch(pager.Offset(c.fetch(l), opts...), n).Pages(context.Background()) {
					if id := goroutineID(); id != caller {
						t.Errorf("%s: yielded on goroutine %s, want the caller's, %s", where, id, caller)
					}
					if err != nil {
						got.Err = err
						if k := c.inFlight(); k != 0 {
							t.Errorf("%s: %d fetches in flight when the loop body got the error", where, k)
						}
						continue
					}
					got.Pages = append(got.Pages, p)
					if knowsLast && len(got.Pages) == len(want.Pages) {
						if k := c.inFlight(); k != 0 {
							t.Errorf("%s: %d fetches in flight when the loop body got the last page", where, k)
						}
					}
					if len(got.Pages) == stopAt+1 {
						if end == "break" {
							break
						}
						if end == "panic" {
							panic(bodyPanic)
						}
					}
				}
			}()
			if k := c.inFlight(); k != 0 {
				t.Errorf("%s: %d fetches in flight after the range statement returned", where, k)
			}
			c.mu.Lock()
			c.finished = true
			stuck, most, reqs := c.stuck, c.most, c.reqs
			c.mu.Unlock()
			if stuck {
				t.Fatalf("%s: the walk is stuck with no fetch running", where)
			}
			if most > n {
				t.Errorf("%s: %d fetches at once, want at most %d", where, most, n)
			}
			reviewCompare(t, where, want, got)
			past, pastMost := 0, n
			if l.total == "above" || l.total == "changing" {
				pastMost = 2 * n // a Total above the end is trusted
			}
			for k, req := range reqs {
				if req.Offset < l.n {
					continue
				}
				past++
				if l.total == "right" && l.n > 0 && k >= n {
					t.Errorf("%s: request %d, %+v, past the Total %d", where, k, req, l.n)
				}
			}
			if past > pastMost {
				t.Errorf("%s: %d requests past the end, want at most %d: %v", where, past, pastMost, reqs)
			}
		})
		if t.Failed() {
			t.FailNow()
		}
	}
}

var bodyPanic = &fetchPanic{-1}

// newOffset returns pager.Offset(fetch, opts...), or false if it panics.
func newOffset(fetch pager.FetchFunc[int], opts []pager.Option) (src pager.Source[int], ok bool) {
	defer func() { _ = recover() }()
	return pager.Offset(fetch, opts...), true
}

// reviewExpect returns what a walk with Prefetch yields where a sequential
// one yields w and the loop ends as end says after page stopAt.
func reviewExpect(w reviewWalk, end string, stopAt int) reviewWalk {
	if end != "range" && stopAt < len(w.Pages) {
		w.Pages = w.Pages[:stopAt+1]
		w.Err, w.Goexit, w.Panic = nil, false, nil
		if end == "panic" {
			w.Panic = bodyPanic
		}
	}
	return w
}

// reviewCompare checks that got, a walk with Prefetch, is what want, a
// sequential walk, says: the same pages and error, the same panic, a
// Goexit re-raised as a panic; a walk that ends without a panic may end
// with that of a fetch whose page was discarded or not reached.
func reviewCompare(t *testing.T, where string, want, got reviewWalk) {
	t.Helper()
	if diff := cmp.Diff(want.Pages, got.Pages); diff != "" {
		t.Errorf("%s: pages (-sequential +prefetch):\n%s", where, diff)
	}
	if !cmp.Equal(want.Err, got.Err, cmpErrors) {
		t.Errorf("%s: got error %v, want %v", where, got.Err, want.Err)
	}
	goexit := func(v any) bool { s, _ := v.(string); return strings.Contains(s, "runtime.Goexit") }
	switch {
	case want.Goexit:
		if !goexit(got.Panic) {
			t.Errorf("%s: got panic %v, want the Goexit reported", where, got.Panic)
		}
	case want.Panic == bodyPanic:
		if got.Panic != bodyPanic {
			t.Errorf("%s: got panic %v, want the loop body's", where, got.Panic)
		}
	case want.Panic != nil:
		wp, gp := want.Panic.(*fetchPanic), (*fetchPanic)(nil)
		gp, _ = got.Panic.(*fetchPanic)
		if gp == nil || gp.at != wp.at {
			t.Errorf("%s: got panic %v, want %v", where, got.Panic, want.Panic)
		}
	case got.Panic != nil:
		if _, ok := got.Panic.(*fetchPanic); !ok && !goexit(got.Panic) {
			t.Errorf("%s: got panic %v, want none or a fetch's", where, got.Panic)
		}
	}
}

// TestFanOutReviewTotalAboveTheEnd walks a listing of 100 items whose every
// page reports a Total of 1000 (a count the API does not serve, or items
// deleted since it was taken), with the last pages short and slow to come:
// each comes back after the guesses past the end, made from the Total,
// answered, and shows them wrong. Trusting the Total may cost 2n requests
// past the end, not one more for each wrong guess.
func TestFanOutReviewTotalAboveTheEnd(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n, size = 2, 100
	synctest.Test(t, func(t *testing.T) {
		short := map[int]int{90: 5, 95: 3, 98: 2} // slow pages, and their lengths
		var mu sync.Mutex
		past := 0
		fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
			k := req.Limit
			if s, ok := short[req.Offset]; ok {
				k = s
				time.Sleep(time.Hour)
			}
			if req.Offset >= size {
				mu.Lock()
				past++
				mu.Unlock()
			}
			p := pager.Page[int]{Total: 1000}
			for i := req.Offset; i < min(req.Offset+k, size); i++ {
				p.Items = append(p.Items, i)
			}
			return p, nil
		}
		items, err := pager.Collect(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), n)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pagetest.Ints(size), items); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if past > 2*n {
			t.Errorf("%d requests past the end, want at most %d", past, 2*n)
		}
	})
}

// TestFanOutReviewPanicNil runs TestFanOutReviewPanicNilChild with
// GODEBUG=panicnil=1, where recover returns nil for a panic(nil) and stops
// it, as it returns nil for runtime.Goexit and does not stop it. Taken for
// a Goexit, the fetch was sent on results twice and its worker got a
// successor while it went on: the walk reported a Goexit, and with the
// panics in discarded guesses, counted fewer fetches queued than there
// were, filled the channels and hung.
func TestFanOutReviewPanicNil(t *testing.T) {
	if os.Getenv("PAGER_REVIEW_CHILD") != "" {
		t.Skip("in the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFanOutReviewPanicNilChild$", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "GODEBUG=panicnil=1", "PAGER_REVIEW_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFanOutReviewPanicNilChild") {
		t.Fatalf("with GODEBUG=panicnil=1: %v\n%.3000s", err, out)
	}
}

func TestFanOutReviewPanicNilChild(t *testing.T) {
	if os.Getenv("PAGER_REVIEW_CHILD") == "" {
		t.Skip("run by TestFanOutReviewPanicNil")
	}
	defer goleak.VerifyNone(t)
	// The page at 20 panics with nil: the walk re-raises it, not a Goexit.
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		if req.Offset == 20 {
			panic(nil)
		}
		return pager.Page[int]{Items: pagetest.Ints(10)}, nil
	}
	items, v := rangeRecover(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), 2)))
	if _, ok := v.(*runtime.PanicNilError); !ok || items != 20 {
		t.Errorf("got panic %v after %d items, want a *runtime.PanicNilError after 20", v, items)
	}
	// Pages of 7 and 8 items in turn make many guesses wrong, and each
	// wrong guess panics with nil: the walk must end, with a panic.
	const size = 20000
	var starts []int
	for off := 0; off < size; off += 7 + len(starts)%2 {
		starts = append(starts, off)
	}
	fetch = func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		i, ok := slices.BinarySearch(starts, req.Offset)
		if !ok && req.Offset < size {
			panic(nil)
		}
		p := pager.Page[int]{Items: pagetest.Ints(7 + (i+1)%2)}
		for k := range p.Items {
			p.Items[k] += req.Offset
		}
		p.Items = p.Items[:min(len(p.Items), max(size-req.Offset, 0))]
		return p, nil
	}
	items, v = rangeRecover(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), 4)))
	if _, ok := v.(*runtime.PanicNilError); !ok || items != size {
		t.Errorf("got panic %v after %d items, want a *runtime.PanicNilError after %d", v, items, size)
	}
	// The read-ahead of any other source: it was labeled a Goexit.
	token := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		if req.Token == "2" {
			panic(nil)
		}
		n, _ := strconv.Atoi(req.Token)
		return pager.Page[int]{Items: pagetest.Ints(10), Next: strconv.Itoa(n + 1)}, nil
	}
	items, v = rangeRecover(pager.All(context.Background(), pager.Prefetch(pager.Token(token, pager.PageSize(10)), 2)))
	if _, ok := v.(*runtime.PanicNilError); !ok || items != 20 {
		t.Errorf("read-ahead: got panic %v after %d items, want a *runtime.PanicNilError after 20", v, items)
	}
}
