package pager_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
)

// The benchmarks walk 2M ints in pages of 1000, held in memory, so that they
// measure the walk and nothing else. Each pager benchmark runs beside the
// hand-written loop it replaces: compare them with
//
//	go test -run '^$' -bench . -count 10 -benchmem | benchstat -col /impl -
//
// They use for range b.N, not b.Loop: b.Loop keeps the compiler from
// inlining range-over-func loops, which is what makes them free.

const (
	benchItems = 2_000_000
	benchPage  = 1000
)

// benchPages is built on first use, so that the tests do not pay for it.
var benchPages = sync.OnceValue(func() [][]int {
	pages := make([][]int, benchItems/benchPage)
	for i := range pages {
		pages[i] = make([]int, benchPage)
		for j := range pages[i] {
			pages[i][j] = i*benchPage + j
		}
	}
	return pages
})

func fetchOffset(_ context.Context, req pager.Request) (pager.Page[int], error) {
	pages, i := benchPages(), req.Offset/benchPage
	if i >= len(pages) {
		return pager.Page[int]{}, nil
	}
	return pager.Page[int]{Items: pages[i]}, nil
}

func fetchToken(_ context.Context, req pager.Request) (pager.Page[int], error) {
	i := 0
	if req.Token != "" {
		i, _ = strconv.Atoi(req.Token)
	}
	pages := benchPages()
	p := pager.Page[int]{Items: pages[i]}
	if i+1 < len(pages) {
		p.Next = strconv.Itoa(i + 1)
	}
	return p, nil
}

var sink int

// perItem starts measuring a benchmark of walks over the 2M items; call
// the func it returns with the last walk's sum, after the loop. It reports
// wall and CPU time per item: on a shared machine, the CPU time is the
// steadier of the two.
func perItem(b *testing.B) func(sum int) {
	cpu := cputime.Used()
	return func(sum int) {
		if sum != benchItems*(benchItems-1)/2 {
			b.Fatalf("got sum %d, want %d", sum, benchItems*(benchItems-1)/2)
		}
		sink = sum
		n := float64(b.N) * benchItems
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/item")
		b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/n, "cpu-ns/item")
	}
}

func BenchmarkAll(b *testing.B) {
	ctx := context.Background()
	b.Run("src=offset/impl=hand", func(b *testing.B) {
		report := perItem(b)
		sum := 0
		for range b.N {
			sum = 0
			for offset := 0; ; {
				page, err := fetchOffset(ctx, pager.Request{Offset: offset, Limit: benchPage})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					break
				}
				for _, v := range page.Items {
					sum += v
				}
				offset += len(page.Items)
			}
		}
		report(sum)
	})
	b.Run("src=offset/impl=pager", func(b *testing.B) {
		report := perItem(b)
		src := pager.Offset(fetchOffset, pager.PageSize(benchPage))
		sum := 0
		for range b.N {
			sum = 0
			for v, err := range pager.All(ctx, src) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v
			}
		}
		report(sum)
	})
	b.Run("src=token/impl=hand", func(b *testing.B) {
		report := perItem(b)
		sum := 0
		for range b.N {
			sum = 0
			for token := ""; ; {
				page, err := fetchToken(ctx, pager.Request{Token: token, Limit: benchPage})
				if err != nil {
					b.Fatal(err)
				}
				for _, v := range page.Items {
					sum += v
				}
				if token = page.Next; token == "" {
					break
				}
			}
		}
		report(sum)
	})
	b.Run("src=token/impl=pager", func(b *testing.B) {
		report := perItem(b)
		src := pager.Token(fetchToken, pager.PageSize(benchPage))
		sum := 0
		for range b.N {
			sum = 0
			for v, err := range pager.All(ctx, src) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v
			}
		}
		report(sum)
	})
}

// BenchmarkAllBigCaller is BenchmarkAll's pager loop in a function of over
// 5000 IR nodes (bigcaller_test.go), where the inliner allows callees a
// cost of 20 instead of 80: the shape of the loops users write in large
// handlers, which All must keep free too.
func BenchmarkAllBigCaller(b *testing.B) {
	ctx := context.Background()
	for _, src := range []struct {
		name string
		src  pager.Source[int]
	}{
		{"offset", pager.Offset(fetchOffset, pager.PageSize(benchPage))},
		{"token", pager.Token(fetchToken, pager.PageSize(benchPage))},
	} {
		b.Run("src="+src.name+"/impl=pager-big", func(b *testing.B) {
			report := perItem(b)
			sum := 0
			for range b.N {
				sum, _ = bigCaller(ctx, src.src, 1)
			}
			report(sum)
		})
	}
}

func BenchmarkTake(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=hand", func(b *testing.B) {
		report := perItem(b)
		sum := 0
		for range b.N {
			sum = 0
			n := 0
		walk:
			for offset := 0; ; {
				page, err := fetchOffset(ctx, pager.Request{Offset: offset, Limit: benchPage})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					break
				}
				for _, v := range page.Items {
					sum += v
					if n++; n == benchItems {
						break walk
					}
				}
				offset += len(page.Items)
			}
		}
		report(sum)
	})
	b.Run("impl=pager", func(b *testing.B) {
		report := perItem(b)
		src := pager.Offset(fetchOffset, pager.PageSize(benchPage))
		sum := 0
		for range b.N {
			sum = 0
			for v, err := range pager.Take(pager.All(ctx, src), benchItems) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v
			}
		}
		report(sum)
	})
}

func BenchmarkFilter(b *testing.B) {
	ctx := context.Background()
	keep := func(v int) bool { return v >= 0 }
	b.Run("impl=hand", func(b *testing.B) {
		report := perItem(b)
		sum := 0
		for range b.N {
			sum = 0
			for offset := 0; ; {
				page, err := fetchOffset(ctx, pager.Request{Offset: offset, Limit: benchPage})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					break
				}
				for _, v := range page.Items {
					if keep(v) {
						sum += v
					}
				}
				offset += len(page.Items)
			}
		}
		report(sum)
	})
	b.Run("impl=pager", func(b *testing.B) {
		report := perItem(b)
		src := pager.Offset(fetchOffset, pager.PageSize(benchPage))
		sum := 0
		for range b.N {
			sum = 0
			for v, err := range pager.Filter(pager.All(ctx, src), keep) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v
			}
		}
		report(sum)
	})
}

// event is a more realistic item than an int: a decoded log line.
type event struct {
	ID    int64
	Level int
	Msg   string
}

var benchEvents = sync.OnceValue(func() [][]event {
	levels := []int{0, 0, 0, 1, 2}
	msgs := []string{"started", "request served", "cache miss", "slow query", "retrying"}
	pages := make([][]event, benchItems/benchPage)
	for i := range pages {
		pages[i] = make([]event, benchPage)
		for j := range pages[i] {
			id := i*benchPage + j
			pages[i][j] = event{ID: int64(id), Level: levels[id%5], Msg: msgs[id%5]}
		}
	}
	return pages
})

func fetchEvents(_ context.Context, req pager.Request) (pager.Page[event], error) {
	pages, i := benchEvents(), req.Offset/benchPage
	if i >= len(pages) {
		return pager.Page[event]{}, nil
	}
	return pager.Page[event]{Items: pages[i]}, nil
}

// BenchmarkAllEvents counts the errors and their bytes in 2M log events: a
// loop body that does some work, as real ones do.
func BenchmarkAllEvents(b *testing.B) {
	ctx := context.Background()
	report := func(b *testing.B, n, size int) {
		if n != benchItems/5 || size != benchItems/5*len("retrying") {
			b.Fatalf("got %d errors of %d bytes", n, size)
		}
		sink = n + size
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchItems, "ns/item")
	}
	b.Run("impl=hand", func(b *testing.B) {
		var n, size int
		for range b.N {
			n, size = 0, 0
			for offset := 0; ; {
				page, err := fetchEvents(ctx, pager.Request{Offset: offset, Limit: benchPage})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					break
				}
				for _, e := range page.Items {
					if e.Level == 2 {
						n++
						size += len(e.Msg)
					}
				}
				offset += len(page.Items)
			}
		}
		report(b, n, size)
	})
	b.Run("impl=pager", func(b *testing.B) {
		src := pager.Offset(fetchEvents, pager.PageSize(benchPage))
		var n, size int
		for range b.N {
			n, size = 0, 0
			for e, err := range pager.All(ctx, src) {
				if err != nil {
					b.Fatal(err)
				}
				if e.Level == 2 {
					n++
					size += len(e.Msg)
				}
			}
		}
		report(b, n, size)
	})
}
