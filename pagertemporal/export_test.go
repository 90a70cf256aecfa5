package pagertemporal_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagertemporal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// TestFanOutBound exports 10 partitions 3 at a time: never more than 3
// activities run at once, 3 do, and the run's watermark is the greatest
// of the partitions'.
func TestFanOutBound(t *testing.T) {
	const n, parallel = 1000, 3
	var mu sync.Mutex
	running, most := 0, 0
	list := newListing(n)
	list.delay = 2 * time.Millisecond // so that partitions overlap
	e := &exporter{list: list, sink: newSink(), pageSize: 50}
	env := newEnv(t, e)
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		running++
		most = max(most, running)
	})
	env.SetOnActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) {
		mu.Lock()
		defer mu.Unlock()
		running--
	})
	got := runExport(t, env, pagertemporal.Run[int]{
		Activity:   "ExportPartition",
		Partitions: pager.OffsetPartitions(n, 100),
		Parallel:   parallel,
	})
	if most != parallel {
		t.Errorf("at most %d activities ran at once, want %d", most, parallel)
	}
	if r := e.sink.check(t, n); r != 0 {
		t.Errorf("%d orders delivered twice", r)
	}
	if want := wantMark(e.list.orders); !equalMark(got, want) {
		t.Errorf("watermark %+v, want %+v", got, want)
	}
}

// TestWatermarkAcrossRuns runs an export three times, as a Schedule does,
// each run given the last one's result, over a listing that changes
// between runs: the second delivers exactly the orders added or updated,
// an order updated to the watermark's value included, and the third,
// with nothing changed, none.
func TestWatermarkAcrossRuns(t *testing.T) {
	const n = 500
	list := newListing(n)
	run := pagertemporal.Run[int]{
		Activity:   "ExportPartition",
		Partitions: []pager.Partition{{Start: 0, End: 1 << 30}}, // the whole listing, however long
		Parallel:   2,
	}
	exportRun := func(last *pager.Watermark[int]) (*sink, pager.Watermark[int]) {
		t.Helper()
		s := newSink()
		env := newEnv(t, &exporter{list: list, sink: s, pageSize: 64})
		if last != nil {
			env.SetLastCompletionResult(*last)
		}
		return s, runExport(t, env, run)
	}

	s, first := exportRun(nil)
	s.check(t, n)
	if want := wantMark(list.orders); !equalMark(first, want) {
		t.Fatalf("first run: watermark %+v, want %+v", first, want)
	}

	// Between runs: an order updated past the watermark, one updated to
	// exactly its value (a key it does not hold), one updated below it
	// (lost, as a watermark documents), and two orders added.
	list.orders[10].Updated = first.Value + 5
	list.orders[20].Updated = first.Value
	list.orders[30].Updated = first.Value - 1
	list.orders = append(list.orders, order{ID: n + 1, Updated: first.Value + 1}, order{ID: n + 2, Updated: first.Value + 5})
	s, second := exportRun(&first)
	want := []int{11, 21, n + 1, n + 2}
	if got := delivered(s); !slices.Equal(got, want) {
		t.Errorf("second run delivered %v, want %v", got, want)
	}
	if w := (pager.Watermark[int]{Value: first.Value + 5, Keys: []string{"11", "502"}}); !equalMark(second, w) {
		t.Errorf("second run: watermark %+v, want %+v", second, w)
	}

	s, third := exportRun(&second)
	if got := delivered(s); len(got) != 0 {
		t.Errorf("third run delivered %v, want none", got)
	}
	if !equalMark(third, second) {
		t.Errorf("third run: watermark %+v, want the second's %+v", third, second)
	}
}

func delivered(s *sink) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for id := range s.got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestPlan: a run with a Plan exports the partitions its activity returns
// for the run's watermark.
func TestPlan(t *testing.T) {
	const n = 300
	e := &exporter{list: newListing(n), sink: newSink(), pageSize: 50}
	env := newEnv(t, e)
	var planned []pager.Watermark[int]
	env.RegisterActivityWithOptions(func(_ context.Context, since pager.Watermark[int]) ([]pager.Partition, error) {
		planned = append(planned, since)
		return pager.OffsetPartitions(n, 70), nil
	}, activity.RegisterOptions{Name: "Plan"})
	last := pager.Watermark[int]{Value: 500, Keys: []string{"7"}}
	env.SetLastCompletionResult(last)
	runExport(t, env, pagertemporal.Run[int]{Activity: "ExportPartition", Plan: "Plan"})
	if len(planned) != 1 || !equalMark(planned[0], last) {
		t.Errorf("Plan given %+v, want the last run's watermark %+v once", planned, last)
	}
	want := 0
	for _, o := range e.list.orders {
		if (pager.Watermark[int]{Value: 500, Keys: []string{"7"}}).Past(o.Updated, key(o)) {
			want++
		}
	}
	if got := len(delivered(e.sink)); got != want {
		t.Errorf("delivered %d orders, want the %d past the last watermark", got, want)
	}
}

// TestPartitionFails: a partition that fails for good fails the run with
// an error that names it, and cancels the partitions in flight; no
// watermark is returned.
func TestPartitionFails(t *testing.T) {
	e := &exporter{list: newListing(100), sink: newSink(), pageSize: 10}
	env := newEnv(t, e)
	var canceled sync.WaitGroup
	env.RegisterActivityWithOptions(func(ctx context.Context, task pagertemporal.Task[int]) (pager.Watermark[int], error) {
		if task.Partition.Start == 20 {
			return pager.Watermark[int]{}, temporal.NewNonRetryableApplicationError("bad partition", "Bad", nil)
		}
		canceled.Add(1)
		defer canceled.Done()
		for { // a long partition, heartbeating, until canceled
			activity.RecordHeartbeat(ctx)
			select {
			case <-ctx.Done():
				return pager.Watermark[int]{}, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}, activity.RegisterOptions{Name: "Stuck"})
	env.ExecuteWorkflow("Export", pagertemporal.Run[int]{
		Activity:         "Stuck",
		Partitions:       pager.OffsetPartitions(100, 10),
		Parallel:         3,
		HeartbeatTimeout: time.Second,
	})
	err := env.GetWorkflowError()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != pagertemporal.ErrPartitionFailed {
		t.Fatalf("got %v, want a %s", err, pagertemporal.ErrPartitionFailed)
	}
	var p pager.Partition
	if err := ae.Details(&p); err != nil || p != (pager.Partition{Start: 20, End: 30}) {
		t.Errorf("error's details: %v (%v), want partition offsets 20-30", p, err)
	}
	if want := "partition offsets 20-30"; !strings.Contains(ae.Error(), want) {
		t.Errorf("error %q does not name the partition (%q)", ae, want)
	}
	var cause *temporal.ApplicationError
	if !errors.As(ae.Unwrap(), &cause) || cause.Type() != "Bad" {
		t.Errorf("error wraps %v, want the activity's error", ae.Unwrap())
	}
	canceled.Wait()
}

// TestContinueAsNew: when the server suggests it, the run lets the
// partitions in flight finish and continues as new with the others, their
// watermark so far, and the same Since.
func TestContinueAsNew(t *testing.T) {
	const n = 1000
	e := &exporter{list: newListing(n), sink: newSink(), pageSize: 100}
	env := newEnv(t, e)
	env.SetContinueAsNewSuggested(true)
	since := pager.Watermark[int]{Value: 3, Keys: []string{"1"}}
	env.ExecuteWorkflow("Export", pagertemporal.Run[int]{
		Activity:   "ExportPartition",
		Partitions: pager.OffsetPartitions(n, 100),
		Since:      since,
		Parallel:   2,
	})
	var can *workflow.ContinueAsNewError
	if !errors.As(env.GetWorkflowError(), &can) {
		t.Fatalf("got %v, want to continue as new", env.GetWorkflowError())
	}
	var next pagertemporal.Run[int]
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	// Suggested from the start, so only the first partition was started.
	if want := pager.OffsetPartitions(n, 100)[1:]; !slices.Equal(next.Partitions, want) {
		t.Errorf("continued with partitions %v, want %v", next.Partitions, want)
	}
	if !equalMark(next.Since, since) {
		t.Errorf("continued with Since %+v, want %+v", next.Since, since)
	}
	var first []order
	for _, o := range e.list.orders[:100] {
		if since.Past(o.Updated, key(o)) {
			first = append(first, o)
		}
	}
	if next.Next == nil || !equalMark(*next.Next, since.Max(wantMark(first))) {
		t.Errorf("continued with Next %+v, want the first partition's %+v", next.Next, since.Max(wantMark(first)))
	}
}

// TestNoPartitions: a run with nothing to export returns its Since, and
// one that names no activity fails at once.
func TestNoPartitions(t *testing.T) {
	e := &exporter{list: newListing(10), sink: newSink(), pageSize: 10}
	since := pager.Watermark[int]{Value: 9, Keys: []string{"3"}}
	if got := runExport(t, newEnv(t, e), pagertemporal.Run[int]{Activity: "ExportPartition", Since: since}); !equalMark(got, since) {
		t.Errorf("watermark %+v, want Since %+v", got, since)
	}

	env := newEnv(t, e)
	env.ExecuteWorkflow("Export", pagertemporal.Run[int]{Partitions: pager.OffsetPartitions(10, 5)})
	var ae *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &ae) || !ae.NonRetryable() {
		t.Errorf("a run with no Activity: got %v, want a non-retryable error", err)
	}
	if got := len(delivered(e.sink)); got != 0 {
		t.Errorf("delivered %d orders, want none", got)
	}
}

// TestExportCanceled: a run canceled from outside (a user, a Schedule's
// overlap policy) returns the cancellation, not a PartitionFailed that
// names whichever partition's cancellation came back first. (A server
// recorded such a run as canceled already, finding the CanceledError in
// the chain; a workflow that calls Export as a function of its own got
// the PartitionFailed.)
func TestExportCanceled(t *testing.T) {
	e := &exporter{list: newListing(100), sink: newSink(), pageSize: 10}
	env := newEnv(t, e)
	env.RegisterActivityWithOptions(func(ctx context.Context, task pagertemporal.Task[int]) (pager.Watermark[int], error) {
		for { // a long partition, heartbeating, until canceled
			activity.RecordHeartbeat(ctx)
			select {
			case <-ctx.Done():
				return pager.Watermark[int]{}, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}, activity.RegisterOptions{Name: "Long"})
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
	env.ExecuteWorkflow("Export", pagertemporal.Run[int]{
		Activity:         "Long",
		Partitions:       pager.OffsetPartitions(100, 10),
		Parallel:         3,
		HeartbeatTimeout: time.Second,
	})
	var ce *temporal.CanceledError
	if err := env.GetWorkflowError(); !errors.As(err, &ce) {
		t.Fatalf("got %v, want the workflow canceled", err)
	}
	var ae *temporal.ApplicationError
	if errors.As(env.GetWorkflowError(), &ae) {
		t.Errorf("got %v, want no partition's failure", env.GetWorkflowError())
	}
}
