package pagertemporal_test

import (
	"context"
	"database/sql"
	"log"
	"net/url"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
	"github.com/pagerseq/pager/pagertemporal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Order is an item of the orders API, whose updated_at is the watermark
// (as Unix microseconds: a Watermark's value is a cmp.Ordered).
type Order struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Orders holds the activities of an hourly export of the orders API into
// a database table.
type Orders struct {
	API pagerhttp.Endpoint // https://api.example.com/v1/orders, with its auth header
	DB  *sql.DB
}

// Plan splits the time from the last watermark to now into windows of a
// day: the partitions of this run.
func (o *Orders) Plan(ctx context.Context, since pager.Watermark[int64]) ([]pager.Partition, error) {
	from := time.UnixMicro(since.Value)
	if since.IsZero() {
		from = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // the first run: everything
	}
	return pager.TimePartitions(from, time.Now(), 24*time.Hour), nil
}

// Export exports the orders of one window updated past the watermark.
func (o *Orders) Export(ctx context.Context, t pagertemporal.Task[int64]) (pager.Watermark[int64], error) {
	api := o.API // the window as the API's filter, from the watermark on (inclusive)
	api.URL += "?" + url.Values{
		"updated_since":  {t.Partition.From.Format(time.RFC3339Nano)},
		"updated_before": {t.Partition.To.Format(time.RFC3339Nano)},
	}.Encode()
	src := pager.Offset(pagerhttp.OffsetFetch[Order](api), pager.PageSize(500))

	next := t.Since // the watermark of what this partition delivered, kept in the heartbeat
	items := pagertemporal.All(ctx, src, pagertemporal.Keep(&next))
	for order, err := range pager.Since(items, t.Since,
		func(o Order) int64 { return o.UpdatedAt.UnixMicro() },
		func(o Order) string { return o.ID }, &next) {
		if err != nil {
			return next, err
		}
		// Idempotent: an order delivered again after a worker died is
		// written over itself.
		if _, err := o.DB.ExecContext(ctx,
			`INSERT INTO orders (id, updated_at) VALUES ($1, $2)
			 ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at`,
			order.ID, order.UpdatedAt); err != nil {
			return next, err
		}
	}
	return next, nil
}

// This example runs a worker for an hourly, incremental export of an
// orders API, and creates the Schedule that starts it.
func Example() {
	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The worker: the Export workflow for int64 watermarks, and the
	// two activities it runs.
	orders := &Orders{ /* API, DB */ }
	w := worker.New(c, "exports", worker.Options{})
	w.RegisterWorkflowWithOptions(pagertemporal.Export[int64], workflow.RegisterOptions{Name: "ExportOrders"})
	w.RegisterActivityWithOptions(orders.Plan, activity.RegisterOptions{Name: "PlanOrders"})
	w.RegisterActivityWithOptions(orders.Export, activity.RegisterOptions{Name: "ExportOrdersWindow"})

	// The Schedule: every hour, one run, each from the last one's watermark.
	// A run still going when the next is due makes that one skip (the
	// default overlap policy).
	_, err = c.ScheduleClient().Create(context.Background(), client.ScheduleOptions{
		ID:   "export-orders",
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        "export-orders",
			Workflow:  "ExportOrders",
			TaskQueue: "exports",
			Args: []any{pagertemporal.Run[int64]{
				Plan:     "PlanOrders",
				Activity: "ExportOrdersWindow",
				Parallel: 4,
				// A dead worker's partition moves on within 20s,
				// repeating at most some 17s of its items.
				HeartbeatTimeout: 20 * time.Second,
			}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatal(err)
	}
}
