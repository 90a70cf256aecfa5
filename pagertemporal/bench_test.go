package pagertemporal_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
	"github.com/pagerseq/pager/pagertemporal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// BenchmarkWalk walks 100,000 orders in pages of 1000 in an activity of
// the SDK's test environment, through pagertemporal.All (heartbeats at
// its default interval, and after every item) and through pager.AllFrom
// alone: the cost of the heartbeats per item.
func BenchmarkWalk(b *testing.B) {
	const n = 100_000
	list := newListing(n)
	for _, bc := range []struct {
		label string
		walk  func(ctx context.Context, src pager.Source[order]) int
	}{
		{"AllFrom", func(ctx context.Context, src pager.Source[order]) int {
			var cp pager.Checkpoint
			sum := 0
			for o, err := range pager.AllFrom(ctx, src, &cp) {
				if err != nil {
					b.Fatal(err)
				}
				sum += o.ID
			}
			return sum
		}},
		{"All", func(ctx context.Context, src pager.Source[order]) int {
			sum := 0
			for o, err := range pagertemporal.All(ctx, src) {
				if err != nil {
					b.Fatal(err)
				}
				sum += o.ID
			}
			return sum
		}},
		{"All/every-item", func(ctx context.Context, src pager.Source[order]) int {
			sum := 0
			for o, err := range pagertemporal.All(ctx, src, pagertemporal.HeartbeatEvery(0)) {
				if err != nil {
					b.Fatal(err)
				}
				sum += o.ID
			}
			return sum
		}},
	} {
		b.Run(bc.label, func(b *testing.B) {
			var quiet testsuite.WorkflowTestSuite // the warning of no HeartbeatTimeout, at every run
			quiet.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			env := quiet.NewTestActivityEnvironment()
			env.RegisterActivityWithOptions(func(ctx context.Context) (int, error) {
				return bc.walk(ctx, pager.Offset(list.fetch, pager.PageSize(1000), pager.MaxPageSize(1000))), nil
			}, activity.RegisterOptions{Name: "Walk"})
			b.ResetTimer()
			cpu := cputime.Used()
			for range b.N {
				if _, err := env.ExecuteActivity("Walk"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/item")
			b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/float64(b.N)/n, "cpu-ns/item")
		})
	}
}
