//go:build go1.25

package pager_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
	"go.uber.org/goleak"
)

// slowServer answers like srv after sleeping latency, or until ctx is done.
func slowServer(srv *pagetest.Server, latency time.Duration) (offset, token pager.FetchFunc[int]) {
	wait := func(ctx context.Context) error {
		select {
		case <-time.After(latency):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	offset = func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		if err := wait(ctx); err != nil {
			return pager.Page[int]{}, err
		}
		return srv.Offset(ctx, req)
	}
	token = func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		if err := wait(ctx); err != nil {
			return pager.Page[int]{}, err
		}
		return srv.Token(ctx, req)
	}
	return offset, token
}

// timeWalk walks src to its end in the bubble, sleeping work per page, and
// returns the fake time it took.
func timeWalk(t *testing.T, src pager.Source[int], work time.Duration, wantItems int) time.Duration {
	t.Helper()
	start := time.Now()
	items := 0
	for p, err := range src.Pages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		items += len(p.Items)
		time.Sleep(work)
	}
	if items != wantItems {
		t.Fatalf("got %d items, want %d", items, wantItems)
	}
	return time.Since(start)
}

// TestPrefetchFanOutTime walks 40 pages of 20 ms with Prefetch(src, 8): 8 at
// a time, 5 latencies in all against the sequential walk's 40 (and, with no
// Total, the empty page: a sixth, as in the sequential walk).
func TestPrefetchFanOutTime(t *testing.T) {
	const pages, latency, n = 40, 20 * time.Millisecond, 8
	tests := []struct {
		label string
		srv   *pagetest.Server
	}{
		{"total", &pagetest.Server{N: pages * 10, Total: true}},
		{"has_more", &pagetest.Server{N: pages * 10, Last: true}},
		{"bare array", &pagetest.Server{N: pages * 10}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				fetch, _ := slowServer(tt.srv, latency)
				src := pager.Offset(fetch, pager.PageSize(10))
				seq := timeWalk(t, src, 0, pages*10)
				pre := timeWalk(t, pager.Prefetch(src, n), 0, pages*10)
				t.Logf("sequential %v, Prefetch(%d) %v (%.2f of sequential; ideal %v)", seq, n, pre, float64(pre)/float64(seq), pages*latency/n)
				want := (pages / n) * latency
				if tt.label == "bare array" {
					want += latency // the empty page after the last
				}
				if pre > want {
					t.Errorf("Prefetch(%d) took %v, want at most %v", n, pre, want)
				}
				if pre >= seq/3 {
					t.Errorf("Prefetch(%d) took %v, want well under a third of sequential %v", n, pre, seq)
				}
			})
		})
	}
}

// TestPrefetchReadAheadTime walks 40 token pages of 20 ms with 20 ms of work
// per page: read-ahead overlaps the two, and takes about half the time.
func TestPrefetchReadAheadTime(t *testing.T) {
	const pages, latency = 40, 20 * time.Millisecond
	for _, n := range []int{1, 4} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				_, fetch := slowServer(&pagetest.Server{N: pages * 10}, latency)
				src := pager.Token(fetch, pager.PageSize(10))
				seq := timeWalk(t, src, latency, pages*10)
				pre := timeWalk(t, pager.Prefetch(src, n), latency, pages*10)
				t.Logf("sequential %v, Prefetch(%d) %v (%.3f of sequential)", seq, n, pre, float64(pre)/float64(seq))
				if want := pages*latency + latency; pre > want {
					t.Errorf("Prefetch(%d) took %v, want at most %v: the first fetch, then one page of work after another", n, pre, want)
				}
			})
		})
	}
}

// TestPrefetchDepth checks how far ahead of the loop a walk fetches while
// the loop body is busy with the first page: n pages for the read-ahead;
// for the fan-out, n fetches in flight, after up to n more pages that came
// in early.
func TestPrefetchDepth(t *testing.T) {
	for _, kind := range kinds {
		for _, n := range []int{1, 3, 8} {
			t.Run(kind+"/"+strconv.Itoa(n), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				synctest.Test(t, func(t *testing.T) {
					srv := &pagetest.Server{N: 1000}
					for range pager.Prefetch(source(kind, srv, pager.PageSize(10)), n).Pages(context.Background()) {
						synctest.Wait()         // until the walk can go no further ahead
						least, most := 1+n, 1+n // read-ahead: n pages ahead
						if kind == "offset" {
							most = 1 + 2*n // fan-out: n in flight, up to 2n ahead
						}
						if got := srv.Calls(); got < least || got > most {
							t.Errorf("got %d fetches while the loop holds the first page, want %d to %d", got, least, most)
						}
						break
					}
				})
			})
		}
	}
}

// TestPrefetchCancelsInFlight ends the loop every way it can end while the
// fetches ahead would take an hour: the loop must end at once, with the
// fetches in flight canceled and every goroutine gone.
func TestPrefetchCancelsInFlight(t *testing.T) {
	ends := []struct {
		how  string
		loop func(t *testing.T, src pager.Source[int])
	}{
		{"break", func(t *testing.T, src pager.Source[int]) {
			for _, err := range pager.All(context.Background(), src) {
				if err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // the fetches ahead are in flight
				break
			}
		}},
		{"Take", func(t *testing.T, src pager.Source[int]) {
			waiting := func(yield func(int, error) bool) {
				for v, err := range pager.All(context.Background(), src) {
					synctest.Wait()
					if !yield(v, err) {
						return
					}
				}
			}
			if items, err := pager.Collect(pager.Take(waiting, 3)); err != nil || len(items) != 3 {
				t.Fatalf("got %d items and error %v, want 3 and none", len(items), err)
			}
		}},
		{"error", func(t *testing.T, src pager.Source[int]) {
			_, err := pager.Collect(pager.All(context.Background(), src))
			if !errors.As(err, new(permanentErr)) {
				t.Fatalf("got error %v, want the second page's", err)
			}
		}},
		{"panic over Pages", func(t *testing.T, src pager.Source[int]) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			for range src.Pages(context.Background()) {
				synctest.Wait()
				panic("loop body")
			}
		}},
		{"panic over All", func(t *testing.T, src pager.Source[int]) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			for range pager.All(context.Background(), src) {
				synctest.Wait()
				panic("loop body")
			}
		}},
	}
	for _, end := range ends {
		for _, kind := range append(kinds, "page") {
			t.Run(end.how+"/"+kind, func(t *testing.T) {
				defer goleak.VerifyNone(t)
				synctest.Test(t, func(t *testing.T) {
					var canceled atomic.Int32
					fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
						switch {
						case req.Offset == 0 && req.Token == "" && req.Page <= 1:
							return pager.Page[int]{Items: pagetest.Ints(req.Limit), Next: "next"}, nil
						case end.how == "error" && (req.Offset == req.Limit || req.Token == "next" || req.Page == 2):
							synctest.Wait() // the fetches ahead of it are in flight
							return pager.Page[int]{}, permanentErr{}
						}
						select {
						case <-time.After(time.Hour):
							return pager.Page[int]{Items: pagetest.Ints(req.Limit), Next: "next"}, nil
						case <-ctx.Done():
							canceled.Add(1)
							return pager.Page[int]{}, ctx.Err()
						}
					}
					start := time.Now()
					srcs := blockingSources(fetch)
					srcs["page"] = pager.PageNumber(fetch, pager.PageSize(10))
					end.loop(t, pager.Prefetch(srcs[kind], 4))
					if d := time.Since(start); d != 0 {
						t.Errorf("the loop took %v to end, want no time", d)
					}
					// On an error, only the Offset fan-out has fetches in
					// flight: the others fetch one page after another.
					if (end.how != "error" || kind == "offset") && canceled.Load() == 0 {
						t.Errorf("no fetch saw its context canceled")
					}
				})
			})
		}
	}
}

// TestPrefetchConcurrency walks listings whose short pages make the
// fan-out discard its guesses, with fetches that ignore their context and
// take from 1 to 13 ms: at most n fetches run at once, the discarded ones
// included.
func TestPrefetchConcurrency(t *testing.T) {
	for _, n := range []int{1, 2, 4, 8} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				srv := &pagetest.Server{N: 1000, Short: func(req pager.Request) int {
					if req.Offset%7 == 3 {
						return 4 // a short page: the guesses after it are wrong
					}
					return 0
				}}
				var running, most atomic.Int32
				fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
					now := running.Add(1)
					defer running.Add(-1)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					// 1 to 13 ms, deaf to cancellation: discarded guesses
					// may still run when the fetches replacing them start.
					time.Sleep(time.Duration(1+req.Offset*7919%13) * time.Millisecond)
					return srv.Offset(ctx, req)
				}
				items, err := pager.Collect(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch, pager.PageSize(10)), n)))
				if err != nil || len(items) != 1000 {
					t.Fatalf("got %d items and error %v, want 1000 and none", len(items), err)
				}
				if got := most.Load(); got > int32(n) {
					t.Errorf("%d fetches ran at once, want at most %d", got, n)
				}
				if n > 1 && most.Load() < 2 {
					t.Errorf("fetches never ran at once")
				}
			})
		})
	}
}

// TestPrefetchRetriesPerPage fails the first try of every page: each page
// is retried on its own, concurrently, after its backoff.
func TestPrefetchRetriesPerPage(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		const pages, latency, backoff = 40, 20 * time.Millisecond, 100 * time.Millisecond
		var mu sync.Mutex
		tried := map[int]bool{}
		srv := &pagetest.Server{N: pages * 10, Total: true, Fail: func(_ int, req pager.Request) error {
			mu.Lock()
			defer mu.Unlock()
			if tried[req.Offset] {
				return nil
			}
			tried[req.Offset] = true
			return errTransient
		}}
		fetch, _ := slowServer(srv, latency)
		src := pager.Offset(fetch, pager.PageSize(10), pager.Retry(pager.RetryPolicy{Attempts: 2, MinDelay: backoff, MaxDelay: backoff}))
		d := timeWalk(t, pager.Prefetch(src, 8), 0, pages*10)
		if want := pages / 8 * (2*latency + backoff); d != want {
			t.Errorf("took %v, want %v: 5 rounds of try, backoff, try", d, want)
		}
	})
}

// TestPrefetchCancelsGuessesPastTheEnd walks a listing of one page with
// Prefetch(src, 8): the guesses at the next 7 pages, in flight when the
// first page says it is the last, are canceled, and the walk ends at once.
func TestPrefetchCancelsGuessesPastTheEnd(t *testing.T) {
	tests := []struct {
		label string
		first pager.Page[int] // the one page of the listing
	}{
		{"total", pager.Page[int]{Items: pagetest.Ints(7), Total: 7}},
		{"has_more", pager.Page[int]{Items: pagetest.Ints(7), Last: true}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			synctest.Test(t, func(t *testing.T) {
				var calls, canceled atomic.Int32
				fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
					calls.Add(1)
					if req.Offset == 0 {
						return tt.first, nil
					}
					select {
					case <-time.After(time.Hour):
						return pager.Page[int]{}, nil
					case <-ctx.Done():
						canceled.Add(1)
						return pager.Page[int]{}, ctx.Err()
					}
				}
				start := time.Now()
				items, err := pager.Collect(pager.All(context.Background(), pager.Prefetch(pager.Offset(fetch), 8)))
				if err != nil || len(items) != 7 {
					t.Fatalf("got %d items and error %v, want 7 and none", len(items), err)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("the walk took %v, want no time", d)
				}
				synctest.Wait()
				// A guess whose context was canceled before it started is
				// not fetched at all.
				if calls, canceled := calls.Load(), canceled.Load(); calls > 8 || canceled != calls-1 {
					t.Errorf("%d fetches, %d of them canceled: want at most 8, all canceled but the first", calls, canceled)
				}
			})
		})
	}
}

// TestPrefetchJitterTime walks listings of 40 pages whose latencies are
// drawn from 10 to 30 ms, with no work or some in the loop body, with
// Prefetch(src, n) and with handFanOut, the errgroup fan-out one writes by
// hand (prefetch_bench_test.go), which knows the number of pages and keeps
// every page that comes in early. With no work, Prefetch must not take
// longer (but by a hair: goroutines that wake at one instant need not run
// in the same order in both). With work, a backlog builds up, and the hand
// fan-out keeps fetching where Prefetch stops at 2n pages ahead: that may
// cost up to 1%.
func TestPrefetchJitterTime(t *testing.T) {
	const pages, size = 40, 100
	for _, n := range []int{2, 4, 8, 16} {
		for _, work := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond} {
			t.Run(fmt.Sprintf("n=%d/work=%v", n, work), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				r := rand.New(rand.NewPCG(uint64(n), 3))
				for range 10 {
					var lat [pages]time.Duration
					for i := range lat {
						lat[i] = 10*time.Millisecond + time.Duration(r.Int64N(int64(20*time.Millisecond)+1))
					}
					synctest.Test(t, func(t *testing.T) {
						fetch, _ := pfListing(pages, size, func(i int) time.Duration { return lat[i] })
						start := time.Now()
						handFanOut(context.Background(), fetch, pages, size, n, work)
						hand := time.Since(start)
						pre := timeWalk(t, pager.Prefetch(pager.Offset(fetch, pager.PageSize(size)), n), work, pages*size)
						slack := hand / 1000
						if work > 0 {
							slack = hand / 100
						}
						if pre > hand+slack {
							t.Errorf("latencies %v: Prefetch(%d) took %v, the errgroup fan-out by hand %v", lat, n, pre, hand)
						}
					})
				}
			})
		}
	}
}
