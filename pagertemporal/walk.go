package pagertemporal

import (
	"context"
	"fmt"
	"iter"
	"reflect"
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
// that breaks or returns leaves the last heartbeat as it was. A walk that
// ends with an error heartbeats the checkpoint at once before it yields
// the error, so that an attempt that fails — a page that failed past its
// [pager.Retry], a loop that returned an error — is resumed by the next
// with nothing repeated. (The SDK sends a failed attempt's last heartbeat
// before it reports the failure.)
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
// its own while it runs (add what it needs with [Keep]). A walk of a local
// activity, which has no heartbeats, starts where src starts on every
// attempt.
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
		every := cfg.interval(activity.GetInfo(ctx).HeartbeatTimeout)
		last := time.Now()
		for v, err := range pager.AllFrom(ctx, src, &cp) {
			if err != nil {
				// cp is past the last item yielded, which the loop processed
				// since it asked for more.
				beat(ctx, cp, cfg.keep)
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
			if now := time.Now(); now.Sub(last) >= every {
				beat(ctx, cp, cfg.keep)
				last = now
			}
		}
	}
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

// beat records cp and the kept values as the activity's heartbeat.
func beat(ctx context.Context, cp pager.Checkpoint, keep []any) {
	details := make([]any, 0, 1+len(keep))
	details = append(details, cp)
	for _, v := range keep {
		details = append(details, reflect.ValueOf(v).Elem().Interface())
	}
	activity.RecordHeartbeat(ctx, details...)
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
