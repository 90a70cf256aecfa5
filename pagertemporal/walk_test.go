package pagertemporal_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagertemporal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// An order is an item of the test listings: Updated is its watermark
// field, which does not grow with ID.
type order struct {
	ID      int `json:"id"`
	Updated int `json:"updated"`
}

func updated(o order) int { return o.Updated }
func key(o order) string  { return strconv.Itoa(o.ID) }

// listing is an in-memory limit/offset API whose orders can change
// between runs, and whose fetches can be made to fail.
type listing struct {
	mu      sync.Mutex
	orders  []order
	fetches int
	// failAt, if ≥ 0, fails the fetch of the page at that offset, once.
	failAt int
	delay  time.Duration // of each fetch
}

func newListing(n int) *listing {
	l := &listing{failAt: -1}
	for i := range n {
		l.orders = append(l.orders, order{ID: i + 1, Updated: (i * 7919) % 1000})
	}
	return l
}

func (l *listing) fetch(_ context.Context, req pager.Request) (pager.Page[order], error) {
	time.Sleep(l.delay)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fetches++
	if req.Offset == l.failAt {
		l.failAt = -1
		return pager.Page[order]{}, errors.New("503 Service Unavailable")
	}
	end := min(req.Offset+req.Limit, len(l.orders))
	if req.Offset >= end {
		return pager.Page[order]{Total: len(l.orders)}, nil
	}
	return pager.Page[order]{Items: slices.Clone(l.orders[req.Offset:end]), Total: len(l.orders)}, nil
}

// sink counts the deliveries of each order, and fails the delivery of
// order failID once.
type sink struct {
	mu     sync.Mutex
	got    map[int]int
	failID int
}

func newSink() *sink { return &sink{got: map[int]int{}} }

func (s *sink) put(o order) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == s.failID {
		s.failID = 0
		return fmt.Errorf("sink: order %d: connection reset", o.ID)
	}
	s.got[o.ID]++
	return nil
}

// check reports orders of ids [1, n] that were not delivered once each.
func (s *sink) check(t *testing.T, n int) (repeats int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := 1; id <= n; id++ {
		switch c := s.got[id]; {
		case c == 0:
			t.Errorf("order %d: missing", id)
		case c > 1:
			repeats += c - 1
		}
	}
	if len(s.got) > n {
		t.Errorf("got %d distinct orders, want %d", len(s.got), n)
	}
	return repeats
}

// exporter has the activities of the tests.
type exporter struct {
	list     *listing
	sink     *sink
	pageSize int
	opts     []pagertemporal.Option
	attempts sync.Map // partition → attempts seen
}

// ExportPartition is the activity a user writes: Since over All, with the
// watermark kept in the heartbeat.
func (e *exporter) ExportPartition(ctx context.Context, t pagertemporal.Task[int]) (pager.Watermark[int], error) {
	e.attempts.Store(t.Partition.String(), activity.GetInfo(ctx).Attempt)
	next := t.Since
	src := pager.Offset(e.list.fetch, append(t.Partition.Options(), pager.PageSize(e.pageSize))...)
	items := pagertemporal.All(ctx, src, append(e.opts, pagertemporal.Keep(&next))...)
	for o, err := range pager.Since(items, t.Since, updated, key, &next) {
		if err != nil {
			return next, err
		}
		if err := e.sink.put(o); err != nil {
			return next, err
		}
	}
	return next, nil
}

// newEnv returns a workflow test environment with Export registered as
// "Export" and e's activity as "ExportPartition".
func newEnv(t *testing.T, e *exporter) *testsuite.TestWorkflowEnvironment {
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(pagertemporal.Export[int], workflow.RegisterOptions{Name: "Export"})
	env.RegisterActivityWithOptions(e.ExportPartition, activity.RegisterOptions{Name: "ExportPartition"})
	env.SetTestTimeout(time.Minute)
	return env
}

// suite logs only warnings and errors, to the test's log.
var suite = func() *testsuite.WorkflowTestSuite {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	return &s
}()

// fastRetry retries at once, so that the tests spend no time in backoff.
var fastRetry = &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3}

// wantMark returns the watermark of orders.
func wantMark(orders []order) pager.Watermark[int] {
	var w pager.Watermark[int]
	for _, o := range orders {
		w = w.Max(pager.Watermark[int]{Value: o.Updated, Keys: []string{key(o)}})
	}
	return w
}

func runExport(t *testing.T, env *testsuite.TestWorkflowEnvironment, run pagertemporal.Run[int]) pager.Watermark[int] {
	t.Helper()
	env.ExecuteWorkflow("Export", run)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	var got pager.Watermark[int]
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestResumeAfterFailedAttempt fails an attempt of a partition in each way
// an attempt fails — a page that fails, the loop returning the sink's
// error — and checks that the next attempt resumed from the heartbeat:
// every order delivered once, and the partition's watermark takes in the
// orders of the failed attempt (kept in the heartbeat).
func TestResumeAfterFailedAttempt(t *testing.T) {
	for _, tc := range []struct {
		label  string
		failAt int // a page's offset
		failID int // an order's id
		opts   []pagertemporal.Option
	}{
		// All heartbeats on the error before it yields it: nothing is
		// repeated whatever the interval.
		{label: "page error", failAt: 600},
		// The loop returned: the next attempt starts at the last heartbeat
		// recorded, after every item here.
		{label: "sink error", failAt: -1, failID: 537, opts: []pagertemporal.Option{pagertemporal.HeartbeatEvery(0)}},
	} {
		t.Run(tc.label, func(t *testing.T) {
			const n = 1000
			list := newListing(n)
			list.failAt = tc.failAt
			s := newSink()
			s.failID = tc.failID
			e := &exporter{list: list, sink: s, pageSize: 100, opts: tc.opts}
			env := newEnv(t, e)
			got := runExport(t, env, pagertemporal.Run[int]{
				Activity:   "ExportPartition",
				Partitions: []pager.Partition{{Start: 0, End: n}},
				Retry:      fastRetry,
			})
			if a, _ := e.attempts.Load("offsets 0-1000"); a != int32(2) {
				t.Errorf("partition ran in %v attempts, want 2", a)
			}
			if r := s.check(t, n); r != 0 {
				t.Errorf("%d orders delivered twice, want none", r)
			}
			// The greatest Updated is early in the listing: a watermark
			// forgotten with the failed attempt would be lower.
			if want := wantMark(list.orders); !equalMark(got, want) {
				t.Errorf("watermark %+v, want %+v", got, want)
			}
			if pages := n/100 + 1; list.fetches != pages {
				t.Errorf("%d fetches, want %d: a page refetched, or the walk restarted", list.fetches, pages)
			}
		})
	}
}

func equalMark(a, b pager.Watermark[int]) bool {
	a, b = a.Max(pager.Watermark[int]{}), b.Max(pager.Watermark[int]{}) // sorted keys
	return a.Value == b.Value && slices.Equal(a.Keys, b.Keys)
}

// TestRestartedWithoutHeartbeat is the failure of TestResumeAfterFailedAttempt
// with heartbeats too far apart to record one before the sink fails: the
// attempt after starts over, repeating what the first delivered. It shows
// the window that HeartbeatEvery bounds.
func TestRestartedWithoutHeartbeat(t *testing.T) {
	const n = 1000
	s := newSink()
	s.failID = 537
	e := &exporter{list: newListing(n), sink: s, pageSize: 100,
		opts: []pagertemporal.Option{pagertemporal.HeartbeatEvery(time.Hour)}}
	runExport(t, newEnv(t, e), pagertemporal.Run[int]{
		Activity:   "ExportPartition",
		Partitions: []pager.Partition{{Start: 0, End: n}},
		Retry:      fastRetry,
	})
	if r := s.check(t, n); r != 536 {
		t.Errorf("%d orders delivered twice, want the 536 before the failure", r)
	}
}

// TestBadHeartbeatDetails: details that do not decode as a checkpoint end
// the walk with a non-retryable error, not a fresh start.
func TestBadHeartbeatDetails(t *testing.T) {
	env := suite.NewTestActivityEnvironment()
	env.SetHeartbeatDetails("offset=300") // text, not the object a Checkpoint is heartbeated as
	list := newListing(10)
	env.RegisterActivityWithOptions(func(ctx context.Context) error {
		for _, err := range pagertemporal.All(ctx, pager.Offset(list.fetch)) {
			if err != nil {
				return err
			}
		}
		return nil
	}, activity.RegisterOptions{Name: "Walk"})
	_, err := env.ExecuteActivity("Walk")
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != pagertemporal.ErrBadHeartbeat || !ae.NonRetryable() {
		t.Fatalf("got %v, want a non-retryable %s", err, pagertemporal.ErrBadHeartbeat)
	}
	if list.fetches != 0 {
		t.Errorf("%d fetches, want none", list.fetches)
	}
}

// TestResumeFromDetails resumes a walk from heartbeat details given by the
// activity test environment, as a retried attempt gets them.
func TestResumeFromDetails(t *testing.T) {
	env := suite.NewTestActivityEnvironment()
	env.SetHeartbeatDetails(pager.Checkpoint{Offset: 7})
	list := newListing(10)
	env.RegisterActivityWithOptions(func(ctx context.Context) ([]int, error) {
		var ids []int
		for o, err := range pagertemporal.All(ctx, pager.Offset(list.fetch, pager.PageSize(4))) {
			if err != nil {
				return nil, err
			}
			ids = append(ids, o.ID)
		}
		return ids, nil
	}, activity.RegisterOptions{Name: "Walk"})
	v, err := env.ExecuteActivity("Walk")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	if err := v.Get(&ids); err != nil {
		t.Fatal(err)
	}
	if want := []int{8, 9, 10}; !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v", ids, want)
	}
}

func TestAllOutsideActivity(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("All outside an activity did not panic")
		}
	}()
	pagertemporal.All(context.Background(), pager.Offset(newListing(1).fetch))
}

// TestSlowPageHeartbeats: a page that takes longer than the activity's
// HeartbeatTimeout to come — a slow API, a fetch retried with backoff, a
// server's Retry-After — does not get a live attempt timed out: All keeps
// heartbeating its last checkpoint while it waits for the page.
func TestSlowPageHeartbeats(t *testing.T) {
	const n = 100
	list := newListing(n)
	list.delay = 2500 * time.Millisecond // the one page: 2.5 × the HeartbeatTimeout
	e := &exporter{list: list, sink: newSink(), pageSize: 100}
	env := newEnv(t, e)
	runExport(t, env, pagertemporal.Run[int]{
		Activity:         "ExportPartition",
		Partitions:       []pager.Partition{{Start: 0, End: n}},
		HeartbeatTimeout: time.Second,
		Retry:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	if r := e.sink.check(t, n); r != 0 {
		t.Errorf("%d orders delivered twice", r)
	}
}

// TestRetryAfterWalkEnded: an attempt that fails after its walk ended —
// a final commit or flush of the activity's own — is retried with nothing
// walked again, whatever the heartbeat interval: All heartbeats the end.
func TestRetryAfterWalkEnded(t *testing.T) {
	const n = 250
	list := newListing(n)
	s := newSink()
	env := newEnv(t, &exporter{list: list, sink: s, pageSize: 100})
	env.RegisterActivityWithOptions(func(ctx context.Context, task pagertemporal.Task[int]) (pager.Watermark[int], error) {
		count := 0 // items delivered by this attempt and those before, kept in the heartbeat
		src := pager.Offset(list.fetch, append(task.Partition.Options(), pager.PageSize(100))...)
		for o, err := range pagertemporal.All(ctx, src, pagertemporal.HeartbeatEvery(time.Hour), pagertemporal.Keep(&count)) {
			if err != nil {
				return task.Since, err
			}
			if err := s.put(o); err != nil {
				return task.Since, err
			}
			count++
		}
		if activity.GetInfo(ctx).Attempt == 1 {
			return task.Since, errors.New("commit: connection reset")
		}
		if count != n {
			return task.Since, fmt.Errorf("kept count %d, want %d", count, n)
		}
		return task.Since, nil
	}, activity.RegisterOptions{Name: "CommitFails"})
	runExport(t, env, pagertemporal.Run[int]{
		Activity:   "CommitFails",
		Partitions: []pager.Partition{{Start: 0, End: n}},
		Retry:      fastRetry,
	})
	if r := s.check(t, n); r != 0 {
		t.Errorf("%d orders delivered twice, want none", r)
	}
}
