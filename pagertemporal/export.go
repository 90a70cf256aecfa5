package pagertemporal

import (
	"cmp"
	"fmt"
	"time"

	"github.com/pagerseq/pager"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// A Run is the input of the [Export] workflow: the partitions of one run of
// an export, the activity that exports one, and how many run at once. It
// marshals to JSON, as the workflow's input and a Schedule's arguments.
type Run[V cmp.Ordered] struct {
	// Activity is the registered name of the activity that exports one
	// partition: a func(context.Context, Task[V]) (pager.Watermark[V], error)
	// that walks task.Partition with [All] and returns the watermark of
	// the items it delivered (task.Since if none).
	Activity string `json:"activity"`

	// Plan, if set, is the registered name of an activity that splits
	// this run's listing: a func(context.Context, pager.Watermark[V])
	// ([]pager.Partition, error), given the run's Since. It can ask the
	// API for a total (pager.OffsetPartitions) or split the time from the
	// watermark to now (pager.TimePartitions). Without a Plan, the run
	// exports Partitions; a listing walked whole is one partition,
	// {Start: 0, End: math.MaxInt}. A run of no partitions returns Since.
	Plan       string            `json:"plan,omitempty"`
	Partitions []pager.Partition `json:"partitions,omitempty"`

	// Since is the watermark that the run starts from: only the items past
	// it are exported. A run started by a Schedule takes the result of the
	// Schedule's last run that completed instead, once there is one.
	Since pager.Watermark[V] `json:"since"`

	// Parallel is how many partitions are exported at once; 0 means 4.
	Parallel int `json:"parallel,omitempty"`

	// The options of each activity. TaskQueue defaults to the workflow's,
	// HeartbeatTimeout to 30s, StartToCloseTimeout to 24h; a nil Retry is
	// the server's default policy (retry with backoff, without end).
	TaskQueue           string                `json:"task_queue,omitempty"`
	HeartbeatTimeout    time.Duration         `json:"heartbeat_timeout,omitempty"`
	StartToCloseTimeout time.Duration         `json:"start_to_close_timeout,omitempty"`
	Retry               *temporal.RetryPolicy `json:"retry,omitempty"`

	// Next is set by Export itself when it continues as new to keep its
	// history short: the watermark of the partitions already exported.
	// Leave it nil.
	Next *pager.Watermark[V] `json:"next,omitempty"`
}

// ErrPartitionFailed is the type of the [temporal.ApplicationError] that
// [Export] fails with when a partition's activity failed for good: its
// message names the partition, its details hold it (a [pager.Partition]),
// and it wraps the activity's error.
const ErrPartitionFailed = "pagertemporal.PartitionFailed"

// A Task is the input of the activity that exports one partition.
type Task[V cmp.Ordered] struct {
	Partition pager.Partition    `json:"partition"`
	Since     pager.Watermark[V] `json:"since"` // the run's: export only the items past it
}

// Export is a workflow that runs one export: it exports the partitions of
// run as activities, run.Parallel at a time, waits for all, and returns the
// new watermark — run.Since raised by every partition's — to be the Since
// of the next run. Register it with a name, as a function of one
// watermark type:
//
//	w.RegisterWorkflowWithOptions(pagertemporal.Export[int64],
//		workflow.RegisterOptions{Name: "ExportOrders"})
//
// Started by a Schedule, each run starts from the result of the last run
// that completed (workflow.GetLastCompletionResult), so that the export is
// incremental: a run that fails commits nothing, and the next starts from
// the last watermark committed.
//
// A partition whose activity fails for good (its retry policy spent, or a
// non-retryable error) fails the run: Export requests the cancellation
// of the partitions in flight (an activity learns of it when it next
// heartbeats, as All does between items and while it waits for a page)
// and returns an error that names the partition. A run canceled from
// outside ends canceled, with its partitions.
// When the server suggests it (a long history), Export continues as new
// with the partitions left, once those in flight have finished.
func Export[V cmp.Ordered](ctx workflow.Context, run Run[V]) (pager.Watermark[V], error) {
	if run.Activity == "" {
		return pager.Watermark[V]{}, temporal.NewNonRetryableApplicationError("pagertemporal: Export: Run.Activity is empty", "pagertemporal.BadRun", nil)
	}
	var next pager.Watermark[V]
	if run.Next != nil {
		next = *run.Next // continued as new: Since and the partitions are fixed
	} else {
		if workflow.HasLastCompletionResult(ctx) {
			var last pager.Watermark[V]
			if err := workflow.GetLastCompletionResult(ctx, &last); err != nil {
				return pager.Watermark[V]{}, fmt.Errorf("pagertemporal: the last run's watermark: %w", err)
			}
			run.Since = last
		}
		next = run.Since
		if run.Plan != "" {
			actx := workflow.WithActivityOptions(ctx, run.activityOptions())
			var parts []pager.Partition
			if err := workflow.ExecuteActivity(actx, run.Plan, run.Since).Get(ctx, &parts); err != nil {
				return pager.Watermark[V]{}, fmt.Errorf("pagertemporal: plan %s: %w", run.Plan, err)
			}
			run.Partitions = parts
		}
	}
	workflow.GetLogger(ctx).Info("pagertemporal: export", "Partitions", len(run.Partitions), "Since", run.Since)
	next, left, err := exportAll(ctx, run, next)
	if err != nil || len(left) == 0 {
		return next, err
	}
	run.Partitions, run.Plan, run.Next = left, "", &next
	return pager.Watermark[V]{}, workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name, run)
}

// exportAll exports run.Partitions, run.Parallel at a time, and returns
// next raised by each one's watermark, and the partitions left when the
// server suggested continuing as new.
func exportAll[V cmp.Ordered](ctx workflow.Context, run Run[V], next pager.Watermark[V]) (pager.Watermark[V], []pager.Partition, error) {
	parallel := run.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	actx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, run.activityOptions()))
	defer cancel()
	sel := workflow.NewSelector(ctx)
	var failed error
	inFlight, started := 0, 0
	for started < len(run.Partitions) || inFlight > 0 {
		// Continue as new only once this run has made some progress, so
		// that a server that keeps suggesting it cannot stall the export.
		stop := failed != nil || started > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		if !stop && started < len(run.Partitions) && inFlight < parallel {
			p := run.Partitions[started]
			f := workflow.ExecuteActivity(actx, run.Activity, Task[V]{Partition: p, Since: run.Since})
			sel.AddFuture(f, func(f workflow.Future) {
				inFlight--
				var w pager.Watermark[V]
				if err := f.Get(ctx, &w); err != nil {
					if failed == nil { // the first: the others fail as canceled
						failed = temporal.NewApplicationErrorWithCause(
							fmt.Sprintf("pagertemporal: partition %s", p), ErrPartitionFailed, err, p)
						cancel()
					}
					return
				}
				next = next.Max(w)
			})
			started++
			inFlight++
			continue
		}
		if inFlight == 0 {
			break // stopped with none in flight
		}
		sel.Select(ctx)
	}
	if failed != nil {
		if err := ctx.Err(); err != nil {
			return pager.Watermark[V]{}, nil, err // the run was canceled, and its partitions with it
		}
		return pager.Watermark[V]{}, nil, failed
	}
	return next, run.Partitions[started:], nil
}

func (run Run[V]) activityOptions() workflow.ActivityOptions {
	o := workflow.ActivityOptions{
		TaskQueue:           run.TaskQueue,
		HeartbeatTimeout:    run.HeartbeatTimeout,
		StartToCloseTimeout: run.StartToCloseTimeout,
		RetryPolicy:         run.Retry,
	}
	if o.HeartbeatTimeout == 0 {
		o.HeartbeatTimeout = 30 * time.Second
	}
	if o.StartToCloseTimeout == 0 {
		o.StartToCloseTimeout = 24 * time.Hour
	}
	return o
}
