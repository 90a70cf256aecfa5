package pagerhttp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pagerseq/pager/internal/timer"
)

// A Quota is a rate-limit quota that the requests of several Endpoints
// spend together: the walks of two listings of one API under one token,
// or a first request sent with [Open] and the walk that follows it. Set
// it as the [Endpoint.Quota] of each; when an answer to any of them says
// that the quota is spent, no request through any of them is sent before
// the reset it reports; then one goes first, and the others wait for its
// answer to say whether the new quota has room for them. Without one,
// the requests of a FetchFunc or Source are paced by their own answers
// only, and an Open call, alone, by none.
//
// The zero value is a quota not spent. A Quota is safe for concurrent
// use; it must not be copied after its first use.
type Quota struct {
	// OnWait, if not nil, is called when a request is about to wait for
	// the reset, with how long and until when: for a log line or a
	// progress note. Requests that wait for the same reset at once each
	// call it, concurrently under [pager.Prefetch]. Set it before the
	// Quota is first used.
	OnWait func(wait time.Duration, until time.Time)

	mu    sync.Mutex
	until time.Time     // no request before then; zero: none held back
	spent bool          // an answer said the quota was spent: the first request after the reset goes alone
	probe chan struct{} // that request's, closed when it is answered; nil: none in flight
}

// A pacer holds back the requests of one Endpoint's FetchFunc, Source or
// Open call while the quota q is spent.
type pacer struct {
	max   time.Duration // the longest wait
	clock clock
	q     *Quota // Endpoint.Quota, or one of the FetchFunc's own
}

// wait waits until the quota is reset, if it is spent, or ctx is done. A
// reset further away than the cap fails at once. The first request after
// a reset goes alone, a probe: the others wait for its answer, which says
// whether the new quota has room for them (concurrent fetches woken by
// one reset would otherwise spend it at once, and collect 429s). If wait
// returns probe, done must be called when the request is answered or has
// failed.
func (p *pacer) wait(ctx context.Context, method, u string) (probe bool, err error) {
	for {
		p.q.mu.Lock()
		until, inFlight := p.q.until, p.q.probe
		var d time.Duration // until the reset, if one was reported
		if !until.IsZero() {
			d = until.Sub(p.clock.now())
		}
		if d <= 0 && inFlight == nil && p.q.spent {
			p.q.spent, p.q.probe = false, make(chan struct{})
			probe = true
		}
		p.q.mu.Unlock()
		switch {
		case probe:
			return true, nil
		case d > p.max:
			return false, quotaError{fmt.Errorf("%w until %s (in %v; Endpoint.MaxQuotaWait is %v): %s %s",
				ErrQuotaSpent, until.UTC().Format(time.RFC3339), d.Round(time.Second), p.max, method, u)}
		case d > 0:
			if p.q.OnWait != nil {
				p.q.OnWait(d, until)
			}
			if err := p.clock.sleep(ctx, d); err != nil {
				return false, err
			}
		case inFlight != nil:
			select {
			case <-inFlight:
			case <-ctx.Done():
				return false, ctx.Err()
			}
		default:
			return false, nil
		}
	}
}

// done lets the requests that wait for a probe go on, if probe; if it got
// no answer, the next of them is the probe.
func (p *pacer) done(probe, answered bool) {
	if !probe {
		return
	}
	p.q.mu.Lock()
	defer p.q.mu.Unlock()
	p.q.spent = p.q.spent || !answered
	close(p.q.probe)
	p.q.probe = nil
}

// observe holds back the requests to come until the reset that an
// answer's status and header h report, if they say the quota is spent:
// RateLimit-Remaining: 0 with RateLimit-Reset, or GitHub's
// X-RateLimit-Remaining and X-RateLimit-Reset; or a 429 or 503 with a
// Retry-After.
func (p *pacer) observe(status int, h http.Header) {
	now := p.clock.now()
	if until, ok := quotaReset(h, now); ok {
		p.hold(until)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if d := parseRetryAfter(h.Get("Retry-After"), now); d > 0 {
			p.hold(now.Add(d))
		}
	}
}

// quotaReset returns the reset of the quota that h says is spent, if it
// says so.
func quotaReset(h http.Header, now time.Time) (time.Time, bool) {
	for _, prefix := range [...]string{"Ratelimit-", "X-Ratelimit-"} {
		if strings.TrimSpace(h.Get(prefix+"Remaining")) != "0" {
			continue
		}
		reset, err := strconv.ParseInt(strings.TrimSpace(h.Get(prefix+"Reset")), 10, 64)
		if err != nil || reset <= 0 {
			continue
		}
		// The IETF draft counts seconds from now, GitHub seconds since
		// 1970: no delay is 30 years long, and no epoch time is that early.
		if reset >= 1e9 {
			return time.Unix(reset, 0), true
		}
		return now.Add(time.Duration(min(reset, maxWaitSecs)) * time.Second), true
	}
	return time.Time{}, false
}

// hold holds back the requests to come until then, or later.
func (p *pacer) hold(until time.Time) {
	p.q.mu.Lock()
	defer p.q.mu.Unlock()
	if until.After(p.q.until) {
		p.q.until = until
	}
	p.q.spent = true
}

// quotaError is ErrQuotaSpent with where, not worth retrying.
type quotaError struct{ err error }

func (e quotaError) Error() string   { return e.err.Error() }
func (e quotaError) Unwrap() error   { return e.err }
func (e quotaError) Retryable() bool { return false }

// clock is the time as an Endpoint sees it; the zero value is the real one.
type clock struct {
	nowFunc   func() time.Time
	sleepFunc func(ctx context.Context, d time.Duration) error
}

func (c clock) orReal() clock {
	if c.nowFunc == nil {
		c.nowFunc = time.Now
	}
	if c.sleepFunc == nil {
		c.sleepFunc = timer.Sleep
	}
	return c
}

func (c clock) now() time.Time { return c.nowFunc() }

func (c clock) sleep(ctx context.Context, d time.Duration) error { return c.sleepFunc(ctx, d) }
