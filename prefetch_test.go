package pager_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
	"go.uber.org/goleak"
)

// walked is what one walk of a Source yields: its pages and final error.
type walked struct {
	Pages []pager.Page[int]
	Err   error
}

func walk(ctx context.Context, src pager.Source[int]) walked {
	var w walked
	for p, err := range src.Pages(ctx) {
		if err != nil {
			w.Err = err
			continue // a second error, or a page after one, shows in the diff
		}
		w.Pages = append(w.Pages, p)
	}
	return w
}

// cmpErrors compares errors by type and message: a *PageError says where and
// after how many attempts.
var cmpErrors = cmp.Comparer(func(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return fmt.Sprintf("%T %v", a, a) == fmt.Sprintf("%T %v", b, b)
})

// randomServer describes a listing served with random quirks: a total or
// not, has_more or not, a clamp, short pages and failures at random
// requests. Quirks are a function of the request, so that two walks that
// send the same request get the same answer.
type randomServer struct {
	seed      uint64
	n         int
	clamp     int
	total     bool
	last      bool
	shortRate int  // one request in shortRate gets a short page; 0: none
	failRate  int  // one request in failRate fails for good, and one more fails once; 0: none
	drift     bool // one request in 5 reports a Total one more: the listing changed
}

func newRandomServer(r *rand.Rand) randomServer {
	s := randomServer{seed: r.Uint64(), n: r.IntN(60), total: r.IntN(2) == 0, last: r.IntN(2) == 0}
	if r.IntN(4) == 0 {
		s.clamp = 1 + r.IntN(8)
	}
	if r.IntN(2) == 0 {
		s.shortRate = 2 + r.IntN(5)
	}
	if r.IntN(2) == 0 {
		s.failRate = 8 + r.IntN(20)
	}
	s.drift = s.total && r.IntN(4) == 0
	return s
}

// fetch returns f with the server's drift, if any.
func (s randomServer) fetch(f pager.FetchFunc[int]) pager.FetchFunc[int] {
	return func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		p, err := f(ctx, req)
		if s.drift && p.Total > 0 && s.coin(req, "drift", 5) == 0 {
			p.Total++
		}
		return p, err
	}
}

// source returns a source of the given kind over srv, with its drift.
func (s randomServer) source(kind string, srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
	switch kind {
	case "offset":
		return pager.Offset(s.fetch(srv.Offset), opts...)
	case "token":
		return pager.Token(s.fetch(srv.Token), opts...)
	}
	return userSource{pager.Offset(s.fetch(srv.Offset), opts...)}
}

// coin returns a number from 0 to m-1 that depends only on the server, the
// request and salt.
func (s randomServer) coin(req pager.Request, salt string, m int) int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d/%s", s.seed, req.Token, req.Offset, salt)
	return int(h.Sum64() % uint64(m))
}

// errOnce is a transient failure; permanentErr (retry_test.go) is not retried.
var errOnce = errors.New("502 bad gateway")

// start returns a fresh fake server of this description, and a func that
// reports how many of its requests failed transiently at or past offset at.
func (s randomServer) start() (srv *pagetest.Server, transientFrom func(at int) int) {
	var mu sync.Mutex
	failed := map[pager.Request]bool{}
	srv = &pagetest.Server{N: s.n, Clamp: s.clamp, Total: s.total, Last: s.last}
	if s.shortRate > 0 {
		srv.Short = func(req pager.Request) int {
			if s.coin(req, "short", s.shortRate) != 0 {
				return 0
			}
			return 1 + s.coin(req, "len", max(req.Limit-1, 1))
		}
	}
	if s.failRate > 0 {
		srv.Fail = func(_ int, req pager.Request) error {
			switch s.coin(req, "fail", s.failRate) {
			case 0:
				return permanentErr{}
			case 1:
				mu.Lock()
				defer mu.Unlock()
				if !failed[req] {
					failed[req] = true
					return errOnce
				}
			}
			return nil
		}
	}
	transientFrom = func(at int) int {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for req := range failed {
			if req.Offset >= at {
				k++
			}
		}
		return k
	}
	return srv, transientFrom
}

// source returns a source of the given kind over srv.
func source(kind string, srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
	switch kind {
	case "offset":
		return pager.Offset(srv.Offset, opts...)
	case "token":
		return pager.Token(srv.Token, opts...)
	case "user":
		return userSource{pager.Offset(srv.Offset, opts...)}
	}
	panic("unknown kind " + kind)
}

var kinds = []string{"offset", "token", "user"}

// onPage records what OnPage reports, but the time it took.
func onPage(infos *[]pager.PageInfo) pager.Option {
	return pager.OnPage(func(pi pager.PageInfo) {
		pi.Elapsed = 0
		*infos = append(*infos, pi)
	})
}

// TestPrefetchSameAsSequential walks random listings with and without
// Prefetch and compares the pages and final errors. For Offset sources it
// also checks the bounds on requests past the end; the other kinds walk one
// step ahead, so they must send exactly the sequential walk's requests.
func TestPrefetchSameAsSequential(t *testing.T) {
	defer goleak.VerifyNone(t)
	for i, r := range randomCases(3000, 300, 0x9e3779b9) {
		desc := newRandomServer(r)
		n := 1 + r.IntN(8)
		opts := []pager.Option{
			pager.PageSize(1 + r.IntN(12)),
			pager.Retry(pager.RetryPolicy{Attempts: 2}),
			pager.WithSleep(func(context.Context, time.Duration) error { return nil }),
		}
		start := 0
		if r.IntN(5) == 0 {
			start = r.IntN(desc.n + 3)
			opts = append(opts, pager.StartOffset(start))
		}
		var offsetOpts []pager.Option // what applies to Offset sources only
		if r.IntN(5) == 0 {
			offsetOpts = append(offsetOpts, pager.StopOnShortPage())
		}
		if r.IntN(2) == 0 {
			offsetOpts = append(offsetOpts, pager.StrictTotal())
		}
		for _, kind := range kinds {
			opts := opts
			if kind != "token" {
				opts = append(opts[:len(opts):len(opts)], offsetOpts...)
			}
			var seqInfo, preInfo []pager.PageInfo
			seqSrv, _ := desc.start()
			want := walk(context.Background(), desc.source(kind, seqSrv, append(opts, onPage(&seqInfo))...))
			preSrv, transientFrom := desc.start()
			got := walk(context.Background(), pager.Prefetch(desc.source(kind, preSrv, append(opts, onPage(&preInfo))...), n))
			where := fmt.Sprintf("case %d (%+v, n=%d, start %d), %s", i, desc, n, start, kind)
			if diff := cmp.Diff(want, got, cmpErrors); diff != "" {
				t.Fatalf("%s: Prefetch walk (-sequential +prefetch):\n%s", where, diff)
			}
			// A transient failure is the server's state: a wrong guess may
			// have taken it, sparing the refetch a retry.
			var ignore []cmp.Option
			if desc.failRate > 0 {
				ignore = append(ignore, cmpopts.IgnoreFields(pager.PageInfo{}, "Attempts"))
			}
			if diff := cmp.Diff(seqInfo, preInfo, ignore...); diff != "" {
				t.Fatalf("%s: OnPage reports (-sequential +prefetch):\n%s", where, diff)
			}
			if kind != "offset" {
				if diff := cmp.Diff(seqSrv.Requests(), preSrv.Requests()); diff != "" {
					t.Fatalf("%s: requests (-sequential +prefetch):\n%s", where, diff)
				}
				continue
			}
			// Requests past the end, not counting the retries of transient
			// failures. Before the first page, Prefetch asks for n pages at
			// the offsets a full page each would give; once a Total is
			// reported, no request goes past it.
			past, guessed := 0, 0
			for _, req := range preSrv.Requests() {
				if req.Offset < desc.n {
					continue
				}
				past++
				if k := req.Offset - start; k%req.Limit == 0 && k/req.Limit < n {
					guessed++
				}
			}
			past -= transientFrom(desc.n)
			if desc.drift {
				continue // the end moves
			}
			if past > n {
				t.Fatalf("%s: %d requests past the end, want at most %d:\n%v", where, past, n, preSrv.Requests())
			}
			if desc.total && desc.n > 0 && start < desc.n && past > guessed {
				t.Fatalf("%s: %d requests past the reported Total, want only the %d of the first pages asked for at once:\n%v", where, past, guessed, preSrv.Requests())
			}
		}
	}
}

// TestPrefetchNDJSONSameAsSequential walks random NDJSON streams with and
// without Prefetch and compares the pages, the final error and the bad
// lines reported: streams of numbers with blank, bad and too long lines,
// CRLF endings, read in random chunks, some cut by a failing read, walked
// with and without SkipBadLines (whose report may end the walk).
func TestPrefetchNDJSONSameAsSequential(t *testing.T) {
	defer goleak.VerifyNone(t)
	for i, r := range randomCases(200, 40, 0x2545f491) {
		stream, lines := randomNDJSON(r)
		failAt := -1 // a read fails once this many bytes are read
		if r.IntN(4) == 0 {
			failAt = r.IntN(len(stream) + 1)
		}
		seed := r.Uint64()
		var opts []pager.Option
		if r.IntN(2) == 0 {
			opts = append(opts, pager.MaxLineSize(200))
		}
		skip, stopAt := r.IntN(2) == 0, 1+r.IntN(20)
		n := 1 + r.IntN(8)
		where := fmt.Sprintf("case %d (%d lines, fail at %d, skip %v, n=%d)", i, lines, failAt, skip, n)

		run := func(prefetch bool) (walked, []string) {
			var reported []string
			o := opts
			if skip {
				o = append(o, pager.SkipBadLines(func(e *pager.LineError) error {
					reported = append(reported, e.Error())
					if len(reported) == stopAt {
						return e
					}
					return nil
				}))
			}
			var rd io.Reader = strings.NewReader(stream)
			if failAt >= 0 {
				rd = io.MultiReader(strings.NewReader(stream[:failAt]), iotest.ErrReader(errors.New("connection reset")))
			}
			src := pager.NDJSON[int](&chunkReader{rd, rand.New(rand.NewPCG(seed, 1))}, o...)
			if prefetch {
				src = pager.Prefetch(src, n)
			}
			return walk(context.Background(), src), reported
		}
		want, wantReported := run(false)
		got, gotReported := run(true)
		if diff := cmp.Diff(want, got, cmpErrors, cmpEmpty); diff != "" {
			t.Fatalf("%s: Prefetch walk (-sequential +prefetch):\n%s", where, diff)
		}
		if diff := cmp.Diff(wantReported, gotReported); diff != "" {
			t.Fatalf("%s: bad lines reported (-sequential +prefetch):\n%s", where, diff)
		}
	}
}

// randomCases yields the cases of a randomized test, each with a random
// generator of its own: full of them, or short under -short.
func randomCases(full, short int, salt uint64) iter.Seq2[int, *rand.Rand] {
	if testing.Short() {
		full = short
	}
	return func(yield func(int, *rand.Rand) bool) {
		for i := range full {
			if !yield(i, rand.New(rand.NewPCG(uint64(i), salt))) {
				return
			}
		}
	}
}

// randomNDJSON returns a stream of up to 20 000 lines of numbers, in half
// the streams with blank, bad and long lines among them, some ending in
// CRLF.
func randomNDJSON(r *rand.Rand) (stream string, lines int) {
	var b strings.Builder
	lines = r.IntN(20000)
	bad := 0 // one line in bad is blank, bad or long; 0: none
	if r.IntN(2) == 0 {
		bad = 4 * (1 + r.IntN(500))
	}
	for l := range lines {
		kind := -1
		if bad > 0 {
			kind = r.IntN(bad)
		}
		switch kind {
		case 0:
			b.WriteString("  ")
		case 1:
			b.WriteString("{bad")
		case 2:
			b.WriteString("1 2")
		case 3:
			b.WriteString(strings.Repeat(" ", 300) + "3") // too long for MaxLineSize(200)
		default:
			b.WriteString(strconv.Itoa(l))
		}
		if r.IntN(10) == 0 {
			b.WriteString("\r")
		}
		b.WriteString("\n")
	}
	return b.String(), lines
}

// chunkReader reads r in chunks of random sizes.
type chunkReader struct {
	r   io.Reader
	rnd *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), 1+c.rnd.IntN(20000))])
}

func TestPrefetchPanicsOnBadArgs(t *testing.T) {
	src := pager.Offset((&pagetest.Server{}).Offset)
	tests := []struct {
		label string
		src   pager.Source[int]
		pages int
	}{
		{"nil source", nil, 1},
		{"zero pages", src, 0},
		{"negative pages", src, -1},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer func() {
				if msg, _ := recover().(string); len(msg) < 7 || msg[:7] != "pager: " {
					t.Errorf("got panic %q, want one starting with %q", msg, "pager: ")
				}
			}()
			pager.Prefetch(tt.src, tt.pages)
		})
	}
}

// TestPrefetchRequests checks how many requests a full walk sends.
func TestPrefetchRequests(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		label     string
		srv       *pagetest.Server
		opts      []pager.Option
		n         int
		wantCalls int
		atMost    bool // canceled guesses may not have reached the server
		reason    string
	}{
		{
			label: "one page, total", srv: &pagetest.Server{N: 7, Total: true}, n: 8,
			wantCalls: 8, atMost: true,
			reason: "the first 8 pages are asked for at once; the first says it is the last, and the others are canceled",
		},
		{
			label: "one page, has_more", srv: &pagetest.Server{N: 7, Last: true}, n: 8,
			wantCalls: 8, atMost: true,
			reason: "the first 8 pages are asked for at once; the first says it is the last, and the others are canceled",
		},
		{
			label: "one page, n=1", srv: &pagetest.Server{N: 7, Total: true}, n: 1,
			wantCalls: 1,
			reason:    "one page asked for at a time",
		},
		{
			label: "empty listing", srv: &pagetest.Server{}, n: 8,
			wantCalls: 8, atMost: true,
			reason: "the first 8 pages are asked for at once",
		},
		{
			label: "total", srv: &pagetest.Server{N: 1000, Total: true}, n: 4,
			wantCalls: 10,
			reason:    "no request past Total once it is known",
		},
		{
			label: "total, partial last page", srv: &pagetest.Server{N: 950, Total: true}, n: 16,
			wantCalls: 16, atMost: true,
			reason: "the first 16 pages asked for at once, 6 of them past the Total that the first reports",
		},
		{
			label: "total, longer listing", srv: &pagetest.Server{N: 2950, Total: true}, n: 16,
			wantCalls: 30,
			reason:    "the first 16 pages asked for at once, then the 14 up to the Total, and none past it",
		},
		{
			label: "clamped, total", srv: &pagetest.Server{N: 1000, Clamp: 200, Total: true}, n: 4,
			opts:      []pager.Option{pager.PageSize(999)},
			wantCalls: 8, atMost: true,
			reason: "the server gives 200 of the 999 asked for: the first guesses, 999 apart, are wrong; after that they are 200 apart, and right",
		},
		{
			label: "clamped, total, MaxPageSize", srv: &pagetest.Server{N: 1000, Clamp: 200, Total: true}, n: 4,
			opts:      []pager.Option{pager.PageSize(999), pager.MaxPageSize(200)},
			wantCalls: 5,
			reason:    "told the server's cap, every guess is right",
		},
		{
			label: "bare array", srv: &pagetest.Server{N: 1000}, n: 4,
			wantCalls: 14, atMost: true,
			reason: "no total: the 10 pages, the empty page, and 3 more guesses past the end",
		},
		{
			label: "has_more", srv: &pagetest.Server{N: 1000, Last: true}, n: 4,
			wantCalls: 13, atMost: true,
			reason: "no total: the 10 pages and 3 guesses past the end",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			src := pager.Prefetch(pager.Offset(tt.srv.Offset, tt.opts...), tt.n)
			items, err := pager.Collect(pager.All(context.Background(), src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(pagetest.Ints(tt.srv.N), items, cmpEmpty); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			got := tt.srv.Calls()
			if got > tt.wantCalls || !tt.atMost && got < tt.wantCalls {
				t.Errorf("got %d fetches, want %d: %s\n%v", got, tt.wantCalls, tt.reason, tt.srv.Requests())
			}
		})
	}
}

// TestPrefetchDiscardsGuesses checks that when a page comes back short, the
// guesses after it are refetched from the true offset, and their errors are
// not reported.
func TestPrefetchDiscardsGuesses(t *testing.T) {
	defer goleak.VerifyNone(t)
	boom := errors.New("boom")
	// Page 10 is short, so the guess at 20 is wrong; it would fail.
	srv := &pagetest.Server{
		N: 100, Total: true,
		Short: func(req pager.Request) int {
			if req.Offset == 10 {
				return 5
			}
			return 0
		},
		Fail: func(_ int, req pager.Request) error {
			if req.Offset == 20 {
				return boom
			}
			return nil
		},
	}
	items, err := pager.Collect(pager.All(context.Background(), pager.Prefetch(pager.Offset(srv.Offset, pager.PageSize(10)), 4)))
	if err != nil {
		t.Fatalf("got error %v, want none: the failed page was a wrong guess", err)
	}
	if diff := cmp.Diff(pagetest.Ints(100), items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// blocking is a fetch whose first page comes at once and whose later pages
// never come: they wait for their context to be canceled.
func blocking(ctx context.Context, req pager.Request) (pager.Page[int], error) {
	if req.Offset == 0 && req.Token == "" {
		return pager.Page[int]{Items: pagetest.Ints(req.Limit), Next: "next"}, nil
	}
	<-ctx.Done()
	return pager.Page[int]{}, ctx.Err()
}

// blockingSources returns a source of every kind over fetch.
func blockingSources(fetch pager.FetchFunc[int]) map[string]pager.Source[int] {
	return map[string]pager.Source[int]{
		"offset": pager.Offset(fetch, pager.PageSize(10)),
		"token":  pager.Token(fetch, pager.PageSize(10)),
		"user":   userSource{pager.Offset(fetch, pager.PageSize(10))},
	}
}

// TestPrefetchBreakCancels breaks after the first item, with fetches in
// flight that only return when canceled: the loop must end at once, and
// leave no goroutine behind.
func TestPrefetchBreakCancels(t *testing.T) {
	for _, n := range []int{1, 2, 8} {
		for name, src := range blockingSources(blocking) {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				count := 0
				for _, err := range pager.All(context.Background(), pager.Prefetch(src, n)) {
					if err != nil {
						t.Fatal(err)
					}
					count++
					break
				}
				if count != 1 {
					t.Errorf("got %d items, want 1", count)
				}
			})
		}
	}
}

// TestPrefetchTakeCancels ends the loop through Take, after the fetches of
// the pages past it have started.
func TestPrefetchTakeCancels(t *testing.T) {
	for name, src := range blockingSources(blocking) {
		t.Run(name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			items, err := pager.Collect(pager.Take(pager.All(context.Background(), pager.Prefetch(src, 3)), 10))
			if err != nil || len(items) != 10 {
				t.Fatalf("got %d items and error %v, want 10 and none", len(items), err)
			}
		})
	}
}

// TestPrefetchBreakEverywhere breaks after every item in turn. If yield were
// called after it returned false, the range statement would panic.
func TestPrefetchBreakEverywhere(t *testing.T) {
	defer goleak.VerifyNone(t)
	const size = 35
	for _, kind := range kinds {
		for _, n := range []int{1, 3} {
			for stop := 1; stop <= size; stop++ {
				srv := &pagetest.Server{N: size}
				count := 0
				for _, err := range pager.All(context.Background(), pager.Prefetch(source(kind, srv, pager.PageSize(10)), n)) {
					if err != nil {
						t.Fatal(err)
					}
					if count++; count == stop {
						break
					}
				}
				if count != stop {
					t.Fatalf("%s, n=%d: got %d items, want %d", kind, n, count, stop)
				}
			}
		}
	}
}

// TestPrefetchError checks that an error is yielded once, last, after the
// pages before it, for a loop that ranges on after it.
func TestPrefetchError(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, kind := range kinds {
		for _, n := range []int{1, 4} {
			srv := &pagetest.Server{N: 100, Fail: func(_ int, req pager.Request) error {
				if req.Offset == 30 || req.Token == "@30" {
					return permanentErr{}
				}
				return nil
			}}
			items, errs, errAt := pagetest.Drain(pager.All(context.Background(), pager.Prefetch(source(kind, srv, pager.PageSize(10)), n)))
			var pe *pager.PageError
			if len(errs) != 1 || !errors.As(errs[0], &pe) || pe.Offset != 30 || errAt[0] != 30 {
				t.Fatalf("%s, n=%d: got errors %v at %v, want one at offset 30, after 30 items", kind, n, errs, errAt)
			}
			if diff := cmp.Diff(pagetest.Ints(30), items); diff != "" {
				t.Errorf("%s, n=%d: items (-want +got):\n%s", kind, n, diff)
			}
		}
	}
}

// TestPrefetchContext checks that a canceled context ends the walk as it
// ends a sequential one, and that each walk has a context of its own.
func TestPrefetchContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, kind := range kinds {
		src := pager.Prefetch(source(kind, &pagetest.Server{N: 10}), 4)
		_, err := pager.Collect(pager.All(ctx, src))
		var pe *pager.PageError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Attempts != 0 {
			t.Errorf("%s: got %v, want context.Canceled before the first attempt", kind, err)
		}
		// The source can be walked again, with a live context.
		items, err := pager.Collect(pager.All(context.Background(), src))
		if err != nil || len(items) != 10 {
			t.Errorf("%s: walking again: got %d items and error %v, want 10 and none", kind, len(items), err)
		}
	}
}

// fetchPanic is a panic value whose identity the tests check.
type fetchPanic struct{ at int }

// panicking is a fetch that panics at offset at.
func panicking(at int) pager.FetchFunc[int] {
	v := &fetchPanic{at}
	return func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		off := req.Offset
		if req.Token != "" {
			off, _ = strconv.Atoi(req.Token)
		}
		if off == at {
			panic(v)
		}
		return pager.Page[int]{Items: pagetest.Ints(req.Limit), Next: strconv.Itoa(off + req.Limit)}, nil
	}
}

// rangeRecover ranges over seq until it ends or panics, and returns the
// number of items and what the range statement panicked with.
func rangeRecover(seq iter.Seq2[int, error]) (items int, v any) {
	defer func() { v = recover() }()
	for _, err := range seq {
		if err != nil {
			panic(err)
		}
		items++
	}
	return items, nil
}

func TestPrefetchFetchPanics(t *testing.T) {
	for _, at := range []int{0, 30} {
		fetch := panicking(at)
		for name, src := range blockingSources(fetch) {
			t.Run(fmt.Sprintf("%s/at %d", name, at), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				items, v := rangeRecover(pager.All(context.Background(), pager.Prefetch(src, 4)))
				if p, ok := v.(*fetchPanic); !ok || p.at != at {
					t.Fatalf("got panic %v, want the fetch's *fetchPanic{%d}", v, at)
				}
				if items != at {
					t.Errorf("got %d items before the panic, want %d", items, at)
				}
			})
		}
	}
}

// TestPrefetchDiscardedFetchPanics checks that a panic in a fetch whose page
// was discarded is re-raised when the loop ends.
func TestPrefetchDiscardedFetchPanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	v := &fetchPanic{20}
	guessed := make(chan struct{})
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		switch req.Offset {
		case 10: // short, so the guess at 20 is discarded; once that ran
			<-guessed
			return pager.Page[int]{Items: pagetest.Ints(5)}, nil
		case 20:
			close(guessed)
			panic(v)
		}
		if req.Offset >= 50 {
			return pager.Page[int]{}, nil
		}
		return pager.Page[int]{Items: pagetest.Ints(10)}, nil
	}
	items, got := rangeRecover(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), 4)))
	if got != v {
		t.Fatalf("got panic %v, want the fetch's %v", got, v)
	}
	if items != 55 {
		t.Errorf("got %d items before the panic, want the whole listing of 55", items)
	}
}

// TestPrefetchDiscardedFetchGoexits calls runtime.Goexit in two discarded
// fetches, each on one of the fan-out's two goroutines: the walk must go on
// without them, then report the Goexit when the loop ends.
func TestPrefetchDiscardedFetchGoexits(t *testing.T) {
	defer goleak.VerifyNone(t)
	// The pages at 10 and 13 are short, so the guesses 10 and 3 past them
	// (a page as long as the one before) are discarded; they come back
	// once those ran. A Total lets both be guessed.
	short := map[int]struct{ n, guess int }{10: {3, 20}, 13: {5, 16}}
	ran := map[int]chan struct{}{20: make(chan struct{}), 16: make(chan struct{})}
	var mu sync.Mutex
	calls := map[int]int{}
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		mu.Lock()
		calls[req.Offset]++
		first := calls[req.Offset] == 1
		mu.Unlock()
		if s, ok := short[req.Offset]; ok {
			<-ran[s.guess]
			return pager.Page[int]{Items: pagetest.Ints(s.n), Total: 60}, nil
		}
		if c, ok := ran[req.Offset]; ok && first {
			close(c)
			runtime.Goexit()
		}
		return pager.Page[int]{Items: pagetest.Ints(max(min(10, 60-req.Offset), 0)), Total: 60}, nil
	}
	items, got := rangeRecover(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), 2)))
	if s, _ := got.(string); !strings.Contains(s, "runtime.Goexit") {
		t.Fatalf("got panic %v, want the Goexit reported", got)
	}
	if items != 60 {
		t.Errorf("got %d items before the panic, want the whole listing of 60", items)
	}
}

// TestPrefetchSourcePanics checks that a panic in a Source's Pages is
// re-raised on the caller's goroutine.
func TestPrefetchSourcePanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	v := &fetchPanic{1}
	src := funcSource(func(_ context.Context, yield func(pager.Page[int], error) bool) {
		if yield(pager.Page[int]{Items: []int{0}}, nil) {
			panic(v)
		}
	})
	items, got := rangeRecover(pager.All(context.Background(), pager.Prefetch[int](src, 2)))
	if got != v || items != 1 {
		t.Fatalf("got panic %v after %d items, want %v after 1", got, items, v)
	}
}

// funcSource is a user-written Source made of a func.
type funcSource func(ctx context.Context, yield func(pager.Page[int], error) bool)

func (f funcSource) Pages(ctx context.Context) iter.Seq2[pager.Page[int], error] {
	return func(yield func(pager.Page[int], error) bool) { f(ctx, yield) }
}

// TestPrefetchEveryWayOut ends the loop over a Prefetch of every kind of
// source every way a loop can end — break, Take, an error, a panic in the
// loop body that a deferred recover stops — over All and over Pages, with
// fetches ahead that only return when canceled. When the range statement
// returns, no fetch may be in flight, and no goroutine of the walk left.
func TestPrefetchEveryWayOut(t *testing.T) {
	bodyPanic := &fetchPanic{-1}
	ends := []struct {
		how  string
		loop func(seq iter.Seq2[int, error]) error
	}{
		{"break", func(seq iter.Seq2[int, error]) error {
			for _, err := range seq {
				if err != nil {
					return err
				}
				break
			}
			return nil
		}},
		{"Take", func(seq iter.Seq2[int, error]) error {
			items, err := pager.Collect(pager.Take(seq, 3))
			if err == nil && len(items) != 3 {
				err = fmt.Errorf("got %d items, want 3", len(items))
			}
			return err
		}},
		{"error", func(seq iter.Seq2[int, error]) error {
			if _, err := pager.Collect(seq); !errors.As(err, new(permanentErr)) {
				return fmt.Errorf("got error %v, want the second page's", err)
			}
			return nil
		}},
		{"panic", func(seq iter.Seq2[int, error]) (err error) {
			defer func() {
				if v := recover(); v != bodyPanic {
					err = fmt.Errorf("got panic %v, want the loop body's", v)
				}
			}()
			for range seq {
				panic(bodyPanic)
			}
			return nil
		}},
	}
	over := map[string]func(context.Context, pager.Source[int]) iter.Seq2[int, error]{
		"All":   pager.All[int],
		"Pages": func(ctx context.Context, src pager.Source[int]) iter.Seq2[int, error] { return itemsOf(src.Pages(ctx)) },
	}
	for _, end := range ends {
		for _, kind := range []string{"offset", "token", "page", "user"} {
			for name, seq := range over {
				t.Run(end.how+"/"+kind+"/"+name, func(t *testing.T) {
					defer goleak.VerifyNone(t)
					var inFlight, walking atomic.Int32
					aheadStarted := make(chan struct{}) // the fetch 3 pages on has started
					var once sync.Once
					fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
						inFlight.Add(1)
						defer inFlight.Add(-1)
						switch {
						case req.Offset == 0 && req.Token == "" && req.Page <= 1:
							return pager.Page[int]{Items: pagetest.Ints(req.Limit), Next: "next"}, nil
						case req.Offset == 3*req.Limit:
							once.Do(func() { close(aheadStarted) })
						case end.how == "error" && (req.Offset == req.Limit || req.Token == "next" || req.Page == 2):
							if kind == "offset" {
								<-aheadStarted // fetches ahead of it are in flight
							}
							return pager.Page[int]{}, permanentErr{}
						}
						<-ctx.Done()
						return pager.Page[int]{}, ctx.Err()
					}
					src := map[string]pager.Source[int]{
						"offset": pager.Offset(fetch, pager.PageSize(10)),
						"token":  pager.Token(fetch, pager.PageSize(10)),
						"page":   pager.PageNumber(fetch, pager.PageSize(10)),
						"user":   countingSource{pager.Offset(fetch, pager.PageSize(10)), &walking},
					}[kind]
					if err := end.loop(seq(context.Background(), pager.Prefetch(src, 4))); err != nil {
						t.Fatal(err)
					}
					if n := inFlight.Load(); n != 0 {
						t.Errorf("%d fetches in flight after the range statement returned, want none", n)
					}
					if n := walking.Load(); n != 0 {
						t.Errorf("the user source's Pages still running after the range statement returned")
					}
				})
			}
		}
	}
}

// itemsOf returns the items of a sequence of pages, as All does.
func itemsOf(pages iter.Seq2[pager.Page[int], error]) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for p, err := range pages {
			if err != nil {
				yield(0, err)
				return
			}
			for _, v := range p.Items {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

// countingSource is a user-written Source that counts its walks running.
type countingSource struct {
	inner   pager.Source[int]
	walking *atomic.Int32
}

func (s countingSource) Pages(ctx context.Context) iter.Seq2[pager.Page[int], error] {
	return func(yield func(pager.Page[int], error) bool) {
		s.walking.Add(1)
		defer s.walking.Add(-1)
		for p, err := range s.inner.Pages(ctx) {
			if !yield(p, err) {
				return
			}
		}
	}
}

// TestPrefetchTrack checks that Track over a Prefetch sets the same
// checkpoints as over its source, and resumes from one the same way.
func TestPrefetchAllFrom(t *testing.T) {
	defer goleak.VerifyNone(t)
	type step struct {
		Item int
		CP   pager.Checkpoint
	}
	track := func(src pager.Source[int], cp pager.Checkpoint) (steps []step) {
		t.Helper()
		for v, err := range pager.AllFrom(context.Background(), src, &cp) {
			if err != nil {
				t.Fatal(err)
			}
			steps = append(steps, step{v, cp})
		}
		return steps
	}
	for _, kind := range []string{"offset", "token"} {
		srv := &pagetest.Server{N: 95, Clamp: 7}
		src := source(kind, srv, pager.PageSize(10))
		want := track(src, pager.Checkpoint{})
		if diff := cmp.Diff(want, track(pager.Prefetch(src, 4), pager.Checkpoint{})); diff != "" {
			t.Errorf("%s: Track (-source +Prefetch):\n%s", kind, diff)
		}
		from := want[41].CP // in the middle of a page
		if diff := cmp.Diff(want[42:], track(pager.Prefetch(src, 4), from)); diff != "" {
			t.Errorf("%s: Track from %v (-source +Prefetch):\n%s", kind, from, diff)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Track of a Prefetch of a user source did not panic")
			}
		}()
		var cp pager.Checkpoint
		pager.AllFrom(context.Background(), pager.Prefetch[int](userSource{}, 1), &cp)
	}()
}

// TestPrefetchEndlessSource breaks out of a walk of a Source that ignores
// its context and never ends: Prefetch must stop asking it for pages, and
// leave no goroutine behind.
func TestPrefetchEndlessSource(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			defer goleak.VerifyNone(t)
			var yielded atomic.Int64
			src := funcSource(func(_ context.Context, yield func(pager.Page[int], error) bool) {
				for i := 0; ; i++ {
					yielded.Add(1)
					if !yield(pager.Page[int]{Items: []int{i}}, nil) {
						return
					}
				}
			})
			for range pager.All(context.Background(), pager.Prefetch[int](src, n)) {
				break
			}
			// The page the loop had, and the n ahead of it.
			if got, most := yielded.Load(), int64(1+n); got > most {
				t.Errorf("the source yielded %d pages, want at most %d", got, most)
			}
		})
	}
}

// TestPrefetchYieldsOnCallersGoroutine checks that the loop body, over All
// and over Pages, runs on the goroutine ranging over the walk, whatever
// goroutines fetch the pages.
func TestPrefetchYieldsOnCallersGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)
	srcs := map[string]func() pager.Source[int]{
		"ndjson": func() pager.Source[int] {
			stream, _ := randomNDJSON(rand.New(rand.NewPCG(1, 2)))
			return pager.NDJSON[int](strings.NewReader(stream), pager.SkipBadLines(func(*pager.LineError) error { return nil }))
		},
	}
	for _, kind := range kinds {
		srcs[kind] = func() pager.Source[int] { return source(kind, &pagetest.Server{N: 500}, pager.PageSize(10)) }
	}
	for name, src := range srcs {
		for _, n := range []int{1, 4} {
			caller := goroutineID()
			pages, items := 0, 0
			for p, err := range pager.Prefetch(src(), n).Pages(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				if id := goroutineID(); id != caller {
					t.Fatalf("%s, n=%d: a page was yielded on goroutine %s, want the caller's, %s", name, n, id, caller)
				}
				pages += len(p.Items)
			}
			for _, err := range pager.All(context.Background(), pager.Prefetch(src(), n)) {
				if err != nil {
					t.Fatal(err)
				}
				if id := goroutineID(); id != caller {
					t.Fatalf("%s, n=%d: an item was yielded on goroutine %s, want the caller's, %s", name, n, id, caller)
				}
				items++
			}
			if pages == 0 || items != pages {
				t.Fatalf("%s, n=%d: %d items over Pages, %d over All", name, n, pages, items)
			}
		}
	}
}

// goroutineID returns the number of the calling goroutine, as its stack
// trace shows it.
func goroutineID() string {
	var buf [64]byte
	return strings.Fields(string(buf[:runtime.Stack(buf[:], false)]))[1]
}
