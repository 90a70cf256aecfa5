package pager_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
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

var benchPages = func() [][]int {
	pages := make([][]int, benchItems/benchPage)
	for i := range pages {
		pages[i] = make([]int, benchPage)
		for j := range pages[i] {
			pages[i][j] = i*benchPage + j
		}
	}
	return pages
}()

func fetchOffset(_ context.Context, req pager.Request) (pager.Page[int], error) {
	i := req.Offset / benchPage
	if i >= len(benchPages) {
		return pager.Page[int]{}, nil
	}
	return pager.Page[int]{Items: benchPages[i]}, nil
}

func fetchToken(_ context.Context, req pager.Request) (pager.Page[int], error) {
	i := 0
	if req.Token != "" {
		i, _ = strconv.Atoi(req.Token)
	}
	p := pager.Page[int]{Items: benchPages[i]}
	if i+1 < len(benchPages) {
		p.Next = strconv.Itoa(i + 1)
	}
	return p, nil
}

var sink int

func reportPerItem(b *testing.B, sum int) {
	if sum != benchItems*(benchItems-1)/2 {
		b.Fatalf("got sum %d, want %d", sum, benchItems*(benchItems-1)/2)
	}
	sink = sum
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchItems, "ns/item")
}

func BenchmarkAll(b *testing.B) {
	ctx := context.Background()
	b.Run("src=offset/impl=hand", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
	b.Run("src=offset/impl=pager", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
	b.Run("src=token/impl=hand", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
	b.Run("src=token/impl=pager", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
}

func BenchmarkTake(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=hand", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
	b.Run("impl=pager", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
}

func BenchmarkFilter(b *testing.B) {
	ctx := context.Background()
	keep := func(v int) bool { return v >= 0 }
	b.Run("impl=hand", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
	b.Run("impl=pager", func(b *testing.B) {
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
		reportPerItem(b, sum)
	})
}
