package pager_test

import (
	"iter"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
)

// perItemOf starts measuring a benchmark of walks over n items; call the
// func it returns with the last walk's sum, after the loop. It reports wall
// and CPU time per item.
func perItemOf(b *testing.B, n int) func(sum int) {
	cpu := cputime.Used()
	return func(sum int) {
		sink = sum
		items := float64(b.N) * float64(n)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/items, "ns/item")
		b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/items, "cpu-ns/item")
	}
}

// BenchmarkSince measures what Since costs per item over a listing of
// growing, unique values, against the loop it replaces: a comparison with
// the watermark and the greatest value seen. Half the items are past the
// watermark.
func BenchmarkSince(b *testing.B) {
	const n = 1 << 16
	items := make([]version, n)
	for i := range items {
		items[i] = version{Key: strconv.Itoa(i), Updated: i}
	}
	mark := pager.Watermark[int]{Value: n / 2, Keys: []string{strconv.Itoa(n / 2)}}
	seq := iter.Seq2[version, error](func(yield func(version, error) bool) {
		for _, v := range items {
			if !yield(v, nil) {
				return
			}
		}
	})
	b.Run("impl=hand", func(b *testing.B) {
		report := perItemOf(b, n)
		sum := 0
		for range b.N {
			sum = 0
			top := mark.Value
			for v, err := range seq {
				if err != nil {
					b.Fatal(err)
				}
				if v.Updated <= mark.Value {
					continue
				}
				top = max(top, v.Updated)
				sum += v.Updated
			}
			_ = top
		}
		report(sum)
	})
	b.Run("impl=pager", func(b *testing.B) {
		report := perItemOf(b, n)
		sum := 0
		for range b.N {
			sum = 0
			var next pager.Watermark[int]
			for v, err := range pager.Since(seq, mark, version.value, version.key, &next) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v.Updated
			}
		}
		report(sum)
	})
}

// BenchmarkSaveMark saves a partition's checkpoint and watermark after
// every item, as the README's incremental export does, over a listing
// whose field is coarse: all of its n items share one value, so the
// watermark's Keys grows to n. Each save must not cost the length of the
// Keys (encoding them every item made the walk quadratic: some 0.3 ms an
// item at 4,000 keys, 1.5 ms at 16,000).
func BenchmarkSaveMark(b *testing.B) {
	const n = 4096
	items := make([]version, n)
	for i := range items {
		items[i] = version{Key: strconv.Itoa(i), Updated: 1}
	}
	p := pager.Partition{Start: 0, End: n}
	b.ReportAllocs()
	done := perItemOf(b, n)
	sum := 0
	for range b.N {
		pr := pager.NewProgress([]pager.Partition{p})
		var next pager.Watermark[int]
		i := 0
		for v := range pager.Since(sliceSeq(items), pager.Watermark[int]{}, func(v version) int { return v.Updated }, func(v version) string { return v.Key }, &next) {
			i++
			sum += v.Updated
			pager.SaveMark(pr, p, pager.Checkpoint{Offset: i}, next)
		}
	}
	done(sum)
}
