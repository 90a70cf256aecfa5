package pager

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how a failed page fetch is retried. The zero value does
// not retry.
//
// Between attempts the walk sleeps for an exponentially growing, fully
// jittered delay: before retry k (k = 1, 2, …) a random duration in
// [MinDelay, min(MaxDelay, MinDelay·2^k)]. If the error has a method
// RetryAfter() time.Duration (as an HTTP 429 or 503 with a Retry-After
// header does), the sleep is at least that long; if the server asks for more
// than MaxRetryAfter, the walk does not retry at all but returns the error,
// since retrying sooner would only be refused again.
//
// A retry never starts once the walk's context is done, and sleeps end when
// it is. A fetch that failed on a deadline of its own (a per-request
// timeout) while the walk's context is live is retried like any other error.
type RetryPolicy struct {
	Attempts int           // tries per page, the first included; <= 1: no retry
	MinDelay time.Duration // the shortest sleep between tries; default 100ms
	MaxDelay time.Duration // the longest backoff sleep; default 10s

	// MaxRetryAfter caps the wait a server may ask for; default 1 minute.
	MaxRetryAfter time.Duration

	// Retryable reports whether err is worth another try. If nil, an error
	// is retried unless it, or an error it wraps, has a method
	// Retryable() bool that returns false.
	Retryable func(err error) bool
}

// Retry sets the retry policy for failed page fetches.
func Retry(p RetryPolicy) Option {
	if p.MinDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 {
		panic("pager: RetryPolicy with a negative duration")
	}
	if p.MinDelay == 0 {
		p.MinDelay = 100 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 10 * time.Second
	}
	p.MaxDelay = max(p.MaxDelay, p.MinDelay)
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = time.Minute
	}
	return option{"Retry", fetchSrcs | ndjsonOpenSrc, func(c *config) { c.retry = p }}
}

// tries is how a page fetch went, for [OnPage].
type tries struct {
	n    int           // attempts made
	took time.Duration // from the first attempt to the answer; 0 without OnPage
}

// fetchTries calls f for req, the page at checkpoint at of the walk, until it
// succeeds, the policy gives up, or ctx is done, and says how many tries
// that took and how long. Every error it returns is a *PageError.
func fetchTries[T any](ctx context.Context, c *config, f FetchFunc[T], req Request, at Checkpoint) (Page[T], tries, error) {
	var start time.Time
	if c.onPage != nil {
		start = c.now()
	}
	attempt := 0
	var err error
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		attempt++
		var p Page[T]
		if p, err = f(ctx, req); err == nil {
			t := tries{n: attempt}
			if c.onPage != nil {
				t.took = c.now().Sub(start)
			}
			return p, t, nil
		}
		d, ok := c.retry.delay(attempt, err)
		if !ok || ctx.Err() != nil || c.sleep(ctx, d) != nil {
			break
		}
	}
	return Page[T]{}, tries{n: attempt}, pageError(at, attempt, err)
}

// delay returns how long to wait before retrying a fetch that failed with
// err on the given attempt, or false if it is not to be retried.
func (p *RetryPolicy) delay(attempt int, err error) (time.Duration, bool) {
	if attempt >= p.Attempts || !p.retryable(err) {
		return 0, false
	}
	ceil := p.MinDelay // doubled attempt times, without overflowing
	for i := 0; i < attempt && ceil < p.MaxDelay; i++ {
		if ceil > p.MaxDelay/2 {
			ceil = p.MaxDelay
			break
		}
		ceil *= 2
	}
	ceil = min(ceil, p.MaxDelay)
	d := p.MinDelay
	if span := ceil - p.MinDelay; span > 0 {
		d += rand.N(span) // full jitter between the two
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		after := ra.RetryAfter()
		if after > p.MaxRetryAfter {
			return 0, false
		}
		d = max(d, after)
	}
	return d, true
}

func (p *RetryPolicy) retryable(err error) bool {
	if p.Retryable != nil {
		return p.Retryable(err)
	}
	var r interface{ Retryable() bool }
	return !errors.As(err, &r) || r.Retryable()
}
