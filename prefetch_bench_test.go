package pager_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
	"golang.org/x/sync/errgroup"
)

// The Prefetch benchmarks, compared in one run with
//
//	go test -run '^$' -bench Prefetch -count 6 -benchmem > bench.txt
//	benchstat -col /impl bench.txt
//
// BenchmarkPrefetchLatency walks 40 pages of 20 ms latency, sequentially
// (impl=seq) and with Prefetch(src, n); x-ideal is the wall time over the
// ideal one. BenchmarkPrefetchJitter walks 40 pages of 10 to 30 ms with
// Prefetch and with the errgroup fan-out one writes by hand. Both report
// the process's CPU time per walk beside the wall time, since the machine
// may be shared. BenchmarkPrefetchOverhead walks an in-memory listing with
// no latency, to measure what Prefetch itself costs per item, against All.
// They use for range b.N, not b.Loop, which keeps the compiler from
// inlining range-over-func loops.

const (
	pfPages   = 40
	pfLatency = 20 * time.Millisecond
)

// pfListing returns fetch functions over a listing of pages pages of size
// items (with a Total), each answered after latency(page index).
func pfListing(pages, size int, latency func(i int) time.Duration) (offset, token pager.FetchFunc[int]) {
	items := make([]int, pages*size)
	for i := range items {
		items[i] = i
	}
	page := func(i int) pager.Page[int] {
		if i >= pages {
			return pager.Page[int]{Total: len(items)}
		}
		if d := latency(i); d > 0 {
			time.Sleep(d)
		}
		return pager.Page[int]{Items: items[i*size : (i+1)*size], Total: len(items)}
	}
	offset = func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		return page(req.Offset / size), nil
	}
	token = func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		i := 0
		if req.Token != "" {
			i, _ = strconv.Atoi(req.Token)
		}
		p := page(i)
		if i+1 < pages {
			p.Next = strconv.Itoa(i + 1)
		}
		return p, nil
	}
	return offset, token
}

func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

// reportCPU reports the CPU time the process used since cpu0, per op.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((cputime.Used()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkPrefetchLatency(b *testing.B) {
	const size = 100
	offset, token := pfListing(pfPages, size, fixed(pfLatency))
	tests := []struct {
		src  string
		make func(...pager.Option) pager.Source[int]
		ns   []int         // 0: sequential
		work time.Duration // per page: a spin for the offset fan-out (time.Sleep is coarse here), a sleep otherwise
		// ideal is the best wall time with n pages fetched at once (0:
		// sequentially), for work per page in the loop body.
		ideal func(n int, work time.Duration) time.Duration
	}{
		{
			src:  "offset",
			make: func(o ...pager.Option) pager.Source[int] { return pager.Offset(offset, o...) },
			ns:   []int{1, 4, 8, 16},
			work: 200 * time.Microsecond,
			ideal: func(n int, work time.Duration) time.Duration {
				return max(pfPages*pfLatency/time.Duration(n), pfPages*work)
			},
		},
		{
			src:  "token",
			make: func(o ...pager.Option) pager.Source[int] { return pager.Token(token, o...) },
			ns:   []int{0, 1, 4},
			work: pfLatency,
			ideal: func(n int, work time.Duration) time.Duration {
				if n == 0 {
					return pfPages * (pfLatency + work)
				}
				return pfPages * max(pfLatency, work)
			},
		},
	}
	for _, tt := range tests {
		for _, n := range tt.ns {
			name := fmt.Sprintf("src=%s/n=%d/impl=prefetch", tt.src, n)
			if n == 0 {
				name = fmt.Sprintf("src=%s/n=1/impl=seq", tt.src)
			}
			b.Run(name, func(b *testing.B) {
				src := tt.make(pager.PageSize(size))
				if n > 0 {
					src = pager.Prefetch(src, n)
				}
				ctx := context.Background()
				cpu := cputime.Used()
				for range b.N {
					items := 0
					for p, err := range src.Pages(ctx) {
						if err != nil {
							b.Fatal(err)
						}
						items += len(p.Items)
						if tt.src == "offset" {
							spin(tt.work)
						} else {
							time.Sleep(tt.work)
						}
					}
					if items != pfPages*size {
						b.Fatalf("got %d items, want %d", items, pfPages*size)
					}
				}
				reportCPU(b, cpu)
				wall := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(wall)/float64(tt.ideal(n, tt.work)), "x-ideal")
			})
		}
	}
}

// spin keeps the CPU busy for d: work shorter than time.Sleep can measure.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// BenchmarkPrefetchJitter walks a listing of 40 pages 4 times per op, with
// latencies drawn from 10 to 30 ms (the same draws, from a fixed seed, in
// every op of every impl), with Prefetch(src, n) and with handFanOut, the
// errgroup fan-out one writes by hand. The loop body only sums the items.
func BenchmarkPrefetchJitter(b *testing.B) {
	const size, walks = 100, 4
	var lat [walks][pfPages]time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	for k := range lat {
		for i := range lat[k] {
			lat[k][i] = 10*time.Millisecond + time.Duration(r.Int64N(int64(20*time.Millisecond)+1))
		}
	}
	walk := 0 // the walk running: latency reads it only while no other runs
	offset, _ := pfListing(pfPages, size, func(i int) time.Duration { return lat[walk][i] })
	want := pfPages * size * (pfPages*size - 1) / 2
	for _, n := range []int{4, 8, 16} {
		impls := []struct {
			name string
			sum  func(ctx context.Context) int
		}{
			{"prefetch", func(ctx context.Context) (sum int) {
				for v, err := range pager.All(ctx, pager.Prefetch(pager.Offset(offset, pager.PageSize(size)), n)) {
					if err != nil {
						b.Fatal(err)
					}
					sum += v
				}
				return sum
			}},
			{"errgroup", func(ctx context.Context) int { return handFanOut(ctx, offset, pfPages, size, n, 0) }},
		}
		for _, impl := range impls {
			b.Run(fmt.Sprintf("n=%d/impl=%s", n, impl.name), func(b *testing.B) {
				ctx := context.Background()
				cpu := cputime.Used()
				for range b.N {
					for walk = range walks {
						if got := impl.sum(ctx); got != want {
							b.Fatalf("got sum %d, want %d", got, want)
						}
					}
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// handFanOut sums the items of a listing of pages pages of size items with
// the fan-out one writes by hand with errgroup, knowing the number of pages
// in advance: each page fetched on a goroutine of its own, at most n at
// once, into a channel of its own, the loop taking them in order (and
// sleeping work on each, if work > 0). It has none of Prefetch's bounds (it
// buffers every page that comes in early) or guarantees (a break would
// leave its goroutines running, a failure is a panic): it is the speed
// Prefetch's fan-out is measured against.
func handFanOut(ctx context.Context, fetch pager.FetchFunc[int], pages, size, n int, work time.Duration) (sum int) {
	var g errgroup.Group
	g.SetLimit(n)
	results := make([]chan pager.Page[int], pages)
	for i := range results {
		results[i] = make(chan pager.Page[int], 1)
	}
	go func() {
		for i := range results {
			g.Go(func() error {
				p, err := fetch(ctx, pager.Request{Offset: i * size, Limit: size})
				if err != nil {
					panic(err)
				}
				results[i] <- p
				return nil
			})
		}
	}()
	for _, c := range results {
		for _, v := range (<-c).Items {
			sum += v
		}
		if work > 0 {
			time.Sleep(work)
		}
	}
	_ = g.Wait() // every Go was called: the last page is in
	return sum
}

// BenchmarkPrefetchOverhead walks 200 000 in-memory items, in pages of 100
// and 1000, with no latency: what Prefetch itself costs. impl=all is All
// over the source itself (the package's own walk, with the loop body
// inlined); user, All over the source behind a Source written outside the
// package (All ranges over its Pages); prefetch1 and prefetch4, All over a
// Prefetch; pages4, a loop over the pages of Prefetch(src, 4) and their
// items; hand4, the read-ahead one writes by hand (handSum); handfan4, the
// errgroup fan-out by hand (handFanOut, Offset only).
func BenchmarkPrefetchOverhead(b *testing.B) {
	const items = 200_000
	all := func(ctx context.Context, src pager.Source[int]) (sum int) {
		for v, err := range pager.All(ctx, src) {
			if err != nil {
				b.Fatal(err)
			}
			sum += v
		}
		return sum
	}
	for _, size := range []int{100, 1000} {
		offset, token := pfListing(items/size, size, fixed(0))
		srcs := []struct {
			name string
			src  pager.Source[int]
		}{
			{"offset", pager.Offset(offset, pager.PageSize(size))},
			{"token", pager.Token(token, pager.PageSize(size))},
		}
		for _, s := range srcs {
			impls := []struct {
				name string
				sum  func(context.Context) int
			}{
				{"all", func(ctx context.Context) int { return all(ctx, s.src) }},
				{"user", func(ctx context.Context) int { return all(ctx, userSource{s.src}) }},
				{"prefetch1", func(ctx context.Context) int { return all(ctx, pager.Prefetch(s.src, 1)) }},
				{"prefetch4", func(ctx context.Context) int { return all(ctx, pager.Prefetch(s.src, 4)) }},
				{"pages4", func(ctx context.Context) (sum int) {
					for p, err := range pager.Prefetch(s.src, 4).Pages(ctx) {
						if err != nil {
							b.Fatal(err)
						}
						for _, v := range p.Items {
							sum += v
						}
					}
					return sum
				}},
				{"hand4", func(ctx context.Context) int { return handSum(ctx, s.src, 4) }},
			}
			if s.name == "offset" {
				impls = append(impls, struct {
					name string
					sum  func(context.Context) int
				}{"handfan4", func(ctx context.Context) int { return handFanOut(ctx, offset, items/size, size, 4, 0) }})
			}
			for _, impl := range impls {
				b.Run(fmt.Sprintf("src=%s/page=%d/impl=%s", s.name, size, impl.name), func(b *testing.B) {
					ctx := context.Background()
					cpu := cputime.Used()
					for range b.N {
						if sum := impl.sum(ctx); sum != items*(items-1)/2 {
							b.Fatalf("got sum %d, want %d", sum, items*(items-1)/2)
						}
					}
					n := float64(b.N) * items
					b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/n, "cpu-ns/item")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/item")
				})
			}
		}
	}
}

// handSum sums the items of src with the read-ahead one writes by hand: a
// goroutine walks src and sends its pages on a channel, n pages ahead (n-1
// in the channel, one in its hands). It has none of Prefetch's guarantees
// (a break would leave the goroutine blocked, a failure is a panic): it is
// the cost of handing pages between goroutines, for Prefetch to be measured
// against.
func handSum(ctx context.Context, src pager.Source[int], n int) int {
	ch := make(chan pager.Page[int], n-1)
	go func() {
		defer close(ch)
		for p, err := range src.Pages(ctx) {
			if err != nil {
				panic(err)
			}
			ch <- p
		}
	}()
	sum := 0
	for p := range ch {
		for _, v := range p.Items {
			sum += v
		}
	}
	return sum
}
