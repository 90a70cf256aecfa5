package pager_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pagerseq/pager"
)

// The Prefetch benchmarks, compared in one run with
//
//	go test -run '^$' -bench Prefetch -count 6 -benchmem | benchstat -col /n -
//
// BenchmarkPrefetchLatency walks 40 pages of 20 ms latency, with per-page
// work in the loop body, sequentially (n=seq) and with Prefetch(src, n);
// x-ideal is the wall time over the ideal one. BenchmarkPrefetchOverhead
// walks an in-memory listing with no latency, to measure what Prefetch
// itself costs per item. They use for range b.N, not b.Loop, which keeps
// the compiler from inlining range-over-func loops.

const (
	pfPages   = 40
	pfLatency = 20 * time.Millisecond
)

// pfListing returns fetch functions over a listing of pages pages of size
// items (with a Total), each answered after latency.
func pfListing(pages, size int, latency time.Duration) (offset, token pager.FetchFunc[int]) {
	items := make([]int, pages*size)
	for i := range items {
		items[i] = i
	}
	page := func(i int) pager.Page[int] {
		if i >= pages {
			return pager.Page[int]{Total: len(items)}
		}
		return pager.Page[int]{Items: items[i*size : (i+1)*size], Total: len(items)}
	}
	offset = func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		time.Sleep(latency)
		return page(req.Offset / size), nil
	}
	token = func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		time.Sleep(latency)
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

func BenchmarkPrefetchLatency(b *testing.B) {
	const size = 100
	offset, token := pfListing(pfPages, size, pfLatency)
	tests := []struct {
		src  string
		make func(...pager.Option) pager.Source[int]
		work time.Duration // per page: a spin for the offset fan-out (time.Sleep is coarse here), a sleep otherwise
		// ideal is the best wall time with n pages fetched at once (0:
		// sequentially), for work per page in the loop body.
		ideal func(n int, work time.Duration) time.Duration
	}{
		{
			src:  "offset",
			make: func(o ...pager.Option) pager.Source[int] { return pager.Offset(offset, o...) },
			work: 200 * time.Microsecond,
			ideal: func(n int, work time.Duration) time.Duration {
				if n == 0 {
					return pfPages * (pfLatency + work)
				}
				return max(pfPages*pfLatency/time.Duration(n), pfPages*work)
			},
		},
		{
			src:  "token",
			make: func(o ...pager.Option) pager.Source[int] { return pager.Token(token, o...) },
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
		for _, n := range []int{0, 1, 2, 4, 8, 16} {
			name := fmt.Sprintf("src=%s/n=%d", tt.src, n)
			if n == 0 {
				name = fmt.Sprintf("src=%s/n=seq", tt.src)
			}
			b.Run(name, func(b *testing.B) {
				src := tt.make(pager.PageSize(size))
				if n > 0 {
					src = pager.Prefetch(src, n)
				}
				ctx := context.Background()
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

func BenchmarkPrefetchOverhead(b *testing.B) {
	const items = 200_000
	for _, size := range []int{100, 1000} {
		offset, token := pfListing(items/size, size, 0)
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
				src  pager.Source[int]
				hand int // > 0: not All over src, but handSum(s.src, hand)
			}{
				{name: "all", src: s.src},              // the package's own walk: the loop body inlined
				{name: "user", src: userSource{s.src}}, // through Source.Pages: a call per item
				{name: "prefetch1", src: pager.Prefetch(s.src, 1)},
				{name: "prefetch4", src: pager.Prefetch(s.src, 4)},
				{name: "hand4", hand: 4},
			}
			for _, impl := range impls {
				b.Run(fmt.Sprintf("src=%s/page=%d/n=%s", s.name, size, impl.name), func(b *testing.B) {
					ctx := context.Background()
					sum := 0
					for range b.N {
						if impl.hand > 0 {
							sum = handSum(ctx, s.src, impl.hand)
							continue
						}
						sum = 0
						for v, err := range pager.All(ctx, impl.src) {
							if err != nil {
								b.Fatal(err)
							}
							sum += v
						}
					}
					if sum != items*(items-1)/2 {
						b.Fatalf("got sum %d, want %d", sum, items*(items-1)/2)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/items, "ns/item")
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
