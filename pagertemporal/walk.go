package pagertemporal

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerseq/pager"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// ErrBadHeartbeat is the type of the non-retryable [temporal.ApplicationError]
// that [All] yields when the heartbeat details of the previous attempt do
// not decode as its own (a checkpoint, then the values of [Keep]): the
// activity's code changed what it heartbeats between two attempts, and no
// retry of it will decode them either.
const ErrBadHeartbeat = "pagertemporal.BadHeartbeat"

// An Option configures [All].
type Option struct{ apply func(*config) }

type config struct {
	every time.Duration // 0: the default for the activity's HeartbeatTimeout
	keep  []any         // pointers heartbeated after the checkpoint
}

// DefaultHeartbeatEvery is the longest time between two heartbeats of [All]
// when no [HeartbeatEvery] is given: a tenth of the activity's
// HeartbeatTimeout, and at most this.
const DefaultHeartbeatEvery = time.Second

// HeartbeatEvery sets the least time between two heartbeats of [All] (by
// default a tenth of the activity's HeartbeatTimeout, and at most
// [DefaultHeartbeatEvery]). A heartbeat costs the encoding of its details;
// the SDK then sends at most one to the server every 0.8 × HeartbeatTimeout,
// the last one recorded. d ≤ 0 records one after every item.
func HeartbeatEvery(d time.Duration) Option {
	return Option{func(c *config) { c.every = max(d, time.Nanosecond) }}
}

// Keep heartbeats *v with the checkpoint and restores it on a retried
// attempt, before the walk yields its first item, so that what the loop
// accumulates over the items — a count, a sum, the watermark of
// [pager.Since] — takes in those that earlier attempts processed. v must be
// a non-nil pointer to a value that the activity's data converter encodes
// (JSON by default). The value recorded is the one *v holds when the loop
// asks for the next item: the loop body must have folded the item it
// processed into it by then, and nothing more.
func Keep(v any) Option {
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("pagertemporal: Keep(%T): want a non-nil pointer", v))
	}
	return Option{func(c *config) { c.keep = append(c.keep, v) }}
}

// All is [pager.AllFrom] for the body of a Temporal activity: it yields the
// items of src and heartbeats the [pager.Checkpoint] after the items the
// loop has processed; on a retried attempt it resumes src's walk from the
// checkpoint of the last heartbeat the attempt before recorded.
//
//	func (a *Activities) Export(ctx context.Context, p pager.Partition) error {
//		src := pager.Offset(a.fetch, p.Options()...)
//		for rec, err := range pagertemporal.All(ctx, src) {
//			if err != nil {
//				return err
//			}
//			if err := a.sink.Upsert(ctx, rec); err != nil {
//				return err
//			}
//		}
//		return nil
//	}
//
// An item counts as processed when the loop asks for the next one: a loop
// that breaks or returns leaves the last heartbeat as it was, so an
// attempt that fails by the loop returning an error (the sink's) is
// resumed from it, repeating at most the items of one [HeartbeatEvery]
// interval. A walk that ends with an error heartbeats the checkpoint at
// once before it yields the error, so that an attempt that fails on a
// page past its [pager.Retry] is resumed by the next with nothing
// repeated; so does a walk that ends, so that an attempt that fails after
// it (in a commit of the activity's own) is retried with nothing walked
// again. (The SDK sends a failed attempt's last heartbeat before it
// reports the failure.) While the walk waits for a page, All records its
// last heartbeat again every tenth of the HeartbeatTimeout (at most every
// [DefaultHeartbeatEvery]), so that a page slower than the
// HeartbeatTimeout — a slow API, a fetch retried with backoff, a server's
// Retry-After — does not get a live attempt timed out; a loop body slower
// than the HeartbeatTimeout still does.
//
// A worker that dies (killed, its machine lost) is another matter: the
// server has the last heartbeat that reached it, and the SDK sends one at
// most every 0.8 × HeartbeatTimeout. The next attempt, which starts once
// the HeartbeatTimeout has passed without a heartbeat, repeats the items
// the dead one processed after it: at most about 0.8 × HeartbeatTimeout
// plus the [HeartbeatEvery] interval of items. Delivery is at least once;
// make the sink idempotent (see the package documentation). Without a
// HeartbeatTimeout in the activity's options, All still resumes a failed
// attempt, but a dead worker is noticed only at the StartToCloseTimeout;
// All logs a warning.
//
// All owns the activity's heartbeat details: the activity must not record
// its own while it runs (add what it needs with [Keep]), nor range over a
// second All, of this source or another, whose retried attempt would
// resume from the first one's checkpoint (walk two listings in two
// activities). A walk of a local activity, which has no heartbeats,
// starts where src starts on every attempt.
//
// All panics if ctx is not an activity's context, or, when ranged, as
// [pager.AllFrom] does if src does not keep checkpoints.
func All[T any](ctx context.Context, src pager.Source[T], opts ...Option) iter.Seq2[T, error] {
	if !activity.IsActivity(ctx) {
		panic("pagertemporal: All outside an activity: ctx is not an activity's context")
	}
	var cfg config
	for _, o := range opts {
		if o.apply != nil { // the zero Option
			o.apply(&cfg)
		}
	}
	return func(yield func(T, error) bool) {
		var zero T
		var cp pager.Checkpoint
		if err := resume(ctx, &cp, cfg.keep); err != nil {
			yield(zero, err)
			return
		}
		b := startBeats(ctx, cfg, cp)
		defer b.stop()
		for v, err := range pager.AllFrom(ctx, src, &cp) {
			if err != nil {
				// cp is past the last item yielded, which the loop processed
				// since it asked for more.
				b.processed(cp, true)
				yield(zero, err)
				return
			}
			b.enter()
			if !yield(v, nil) {
				return
			}
			b.processed(cp, false)
		}
		// The end: an attempt that fails after the walk (the activity's
		// own commit) is retried with nothing walked again.
		b.processed(cp, true)
	}
}

// beats records the heartbeats of one walk: on the loop's goroutine, after
// the items the loop processed, at most every interval; and, while the
// walk waits for a page, the last of them again from a goroutine of its
// own, so that a page slower than the HeartbeatTimeout (a slow API, a
// fetch retried with backoff, a server's Retry-After) does not get a live
// attempt timed out and run again beside it.
type beats struct {
	ctx   context.Context
	keep  []any
	every time.Duration // between two heartbeats after items
	tick  time.Duration // between two heartbeats while the walk waits
	last  time.Time     // of the loop's last heartbeat; the loop's own

	// state is waiting, body or recording: the goroutine records only
	// while the loop body is not running, since the kept values it
	// encodes may share memory that the body changes.
	state    atomic.Int32
	lastBeat atomic.Int64 // UnixNano of the last heartbeat
	mu       sync.Mutex   // held to record; guards details
	details  []any        // the last recorded, or the walk's start
	quit     chan struct{}
	done     chan struct{}
}

const (
	waiting int32 = iota
	body
	recording
)

func startBeats(ctx context.Context, cfg config, start pager.Checkpoint) *beats {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	b := &beats{ctx: ctx, keep: cfg.keep, every: cfg.interval(timeout), tick: config{}.interval(timeout),
		last: time.Now(), details: details(start, cfg.keep), quit: make(chan struct{}), done: make(chan struct{})}
	b.lastBeat.Store(b.last.UnixNano())
	go b.run()
	return b
}

// run heartbeats the last details while the walk waits for a page.
func (b *beats) run() {
	defer close(b.done)
	t := time.NewTicker(b.tick)
	defer t.Stop()
	for {
		select {
		case <-b.quit:
			return
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		b.mu.Lock()
		if b.state.CompareAndSwap(waiting, recording) {
			if now := time.Now(); now.UnixNano()-b.lastBeat.Load() >= int64(b.tick) {
				activity.RecordHeartbeat(b.ctx, b.details...)
				b.lastBeat.Store(now.UnixNano())
			}
			b.state.Store(waiting)
		}
		b.mu.Unlock()
	}
}

// enter says that the loop body is about to run, once the goroutine is
// not recording.
func (b *beats) enter() {
	if b.state.CompareAndSwap(waiting, body) {
		return
	}
	b.mu.Lock() // the goroutine is recording, and holds mu until done
	b.state.Store(body)
	b.mu.Unlock()
}

// processed says that the loop has processed the items before cp, and
// records cp and the kept values if the interval has passed, or now.
func (b *beats) processed(cp pager.Checkpoint, now bool) {
	if t := time.Now(); now || t.Sub(b.last) >= b.every {
		b.mu.Lock()
		b.details = details(cp, b.keep)
		activity.RecordHeartbeat(b.ctx, b.details...)
		b.lastBeat.Store(t.UnixNano())
		b.mu.Unlock()
		b.last = t
	}
	b.state.Store(waiting)
}

// stop ends the heartbeats of the waits, once the walk has ended.
func (b *beats) stop() {
	close(b.quit)
	<-b.done
}

// interval returns the time between heartbeats for an activity of the
// given HeartbeatTimeout.
func (c config) interval(timeout time.Duration) time.Duration {
	if c.every > 0 {
		return c.every
	}
	if timeout > 0 {
		return min(timeout/10, DefaultHeartbeatEvery)
	}
	return DefaultHeartbeatEvery
}

// details returns cp and the kept values, as heartbeat details.
func details(cp pager.Checkpoint, keep []any) []any {
	d := make([]any, 0, 1+len(keep))
	d = append(d, cp)
	for _, v := range keep {
		d = append(d, reflect.ValueOf(v).Elem().Interface())
	}
	return d
}

// resume sets *cp and the kept values to the last heartbeat of the attempt
// before, if there is one, and warns of an activity without a
// HeartbeatTimeout.
func resume(ctx context.Context, cp *pager.Checkpoint, keep []any) error {
	info := activity.GetInfo(ctx)
	log := activity.GetLogger(ctx)
	if info.HeartbeatTimeout <= 0 && !info.IsLocalActivity {
		log.Warn("pagertemporal: activity has no HeartbeatTimeout: a worker that dies is noticed only at its StartToCloseTimeout",
			"ActivityType", info.ActivityType.Name)
	}
	if !activity.HasHeartbeatDetails(ctx) {
		return nil
	}
	// Decode into fresh values: the SDK warns that decoding over values
	// merges into them, as json.Unmarshal does.
	fresh := make([]any, 1+len(keep))
	fresh[0] = new(pager.Checkpoint)
	for i, v := range keep {
		fresh[1+i] = reflect.New(reflect.TypeOf(v).Elem()).Interface()
	}
	if err := activity.GetHeartbeatDetails(ctx, fresh...); err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pagertemporal: activity %s, attempt %d: the heartbeat details of an earlier attempt: %v", info.ActivityID, info.Attempt, err),
			ErrBadHeartbeat, err)
	}
	*cp = *fresh[0].(*pager.Checkpoint)
	for i, v := range keep {
		reflect.ValueOf(v).Elem().Set(reflect.ValueOf(fresh[1+i]).Elem())
	}
	log.Info("pagertemporal: resuming from the last heartbeat", "Checkpoint", cp.String(), "Attempt", info.Attempt)
	return nil
}
