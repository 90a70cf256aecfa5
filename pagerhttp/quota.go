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
// answer to say how many of them the new quota has room for. Without
// one, the requests of a FetchFunc or Source are paced by their own
// answers only, and an Open call, alone, by none.
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

	mu       sync.Mutex
	until    time.Time     // no request before then; zero: none held back
	limited  bool          // an answer said how much room the quota has: room counts it down
	reports  bool          // an answer said it in a Remaining header
	room     int           // if limited, how many requests may go before an answer says more
	inFlight int           // requests sent and not yet answered
	answer   chan struct{} // closed when one of them is answered or fails; nil: none waits for it
}

// A pacer holds back the requests of one Endpoint's FetchFunc, Source or
// Open call while the quota q is spent.
type pacer struct {
	max   time.Duration // the longest wait
	clock clock
	q     *Quota // Endpoint.Quota, or one of the FetchFunc's own
}

// wait waits until the quota has room for a request, or ctx is done: if
// it is spent, until the reset; if an answer said how many requests it
// has room for, until fewer are in flight than that, or, with no room
// left, until the reset passed and none is in flight, so that the first
// request after a reset goes alone, a probe, and the others wait for its
// answer (concurrent fetches woken by one reset would otherwise spend the
// new quota at once, and collect 429s). A reset further away than the cap
// fails at once. If wait returns nil, done must be called when the
// request is answered or has failed.
func (p *pacer) wait(ctx context.Context, method, u string) error {
	q := p.q
	for {
		q.mu.Lock()
		until := q.until
		var d time.Duration // until the reset, if one was reported
		if !until.IsZero() {
			d = until.Sub(p.clock.now())
		}
		full := q.limited && q.room == 0 && q.inFlight > 0 // no room until an answer says more
		if d <= 0 && !full {
			if q.room > 0 {
				q.room--
			}
			q.inFlight++
			q.mu.Unlock()
			return nil
		}
		var answer chan struct{} // if d <= 0: the one to wait for
		if d <= 0 {
			if q.answer == nil {
				q.answer = make(chan struct{})
			}
			answer = q.answer
		}
		q.mu.Unlock()
		switch {
		case d > 0 && d > p.max:
			return quotaError{fmt.Errorf("%w until %s (in %v; Endpoint.MaxQuotaWait is %v): %s %s",
				ErrQuotaSpent, until.UTC().Format(time.RFC3339), d.Round(time.Second), p.max, method, u)}
		case d > 0:
			if q.OnWait != nil {
				q.OnWait(d, until)
			}
			if err := p.clock.sleep(ctx, d); err != nil {
				return err
			}
		default:
			select {
			case <-answer:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// done counts a request that wait let go as answered, or failed, and
// lets the requests that wait for an answer look again.
func (p *pacer) done() {
	q := p.q
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inFlight--
	if q.answer != nil {
		close(q.answer)
		q.answer = nil
	}
}

// observe reads what an answer's status and header h say of the quota,
// before done is called for its request. RateLimit-Remaining (or
// GitHub's X-RateLimit-Remaining) says how many more requests it has
// room for, of which the others in flight may have spent some; if none,
// the requests to come are held back until the reset that
// RateLimit-Reset (X-RateLimit-Reset) reports. A 429, or a 503 with a
// Retry-After, says that it is spent, until the Retry-After if one is
// given. A 2xx that says nothing of it from a server that has not
// reported its quota in headers (after a bare 429) lets the requests go
// unpaced again; from one that has (an answer replayed without its quota
// headers, one from a cache), it changes nothing.
func (p *pacer) observe(status int, h http.Header) {
	now := p.clock.now()
	left, reset, reported := quotaLeft(h, now)
	retryAfter := parseRetryAfter(h.Get("Retry-After"), now)
	q := p.q
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case reported:
		q.limited, q.reports = true, true
		q.room = max(left-(q.inFlight-1), 0)
		if left == 0 {
			q.holdLocked(reset)
		}
	case status/100 == 2 && !q.reports:
		q.limited = false
	}
	if status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && retryAfter > 0) {
		q.limited, q.room = true, 0
		if retryAfter > 0 {
			q.holdLocked(now.Add(retryAfter))
		}
	}
}

// quotaLeft returns how many more requests h says the quota has room
// for, if it says, and the reset it reports if none: the first family of
// headers, RateLimit-* or X-RateLimit-*, that reports a room, or, if
// none has room, a reset.
func quotaLeft(h http.Header, now time.Time) (left int, reset time.Time, reported bool) {
	for _, prefix := range [...]string{"Ratelimit-", "X-Ratelimit-"} {
		n, err := strconv.Atoi(strings.TrimSpace(h.Get(prefix + "Remaining")))
		if err != nil || n < 0 {
			continue
		}
		if n > 0 {
			return n, time.Time{}, true
		}
		reported = true
		if reset = parseReset(h.Get(prefix+"Reset"), now); !reset.IsZero() {
			break
		}
	}
	return 0, reset, reported
}

// parseReset returns the time a Reset header says, or the zero time if
// it is not valid. Seconds may have a fraction (Discord's epoch times:
// 1470173023.123), read to the nanosecond.
func parseReset(v string, now time.Time) time.Time {
	whole, frac, _ := strings.Cut(strings.TrimSpace(v), ".")
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || !digits(whole) || !digits(frac) {
		return time.Time{}
	}
	var nanos int64
	for i := range 9 {
		nanos *= 10
		if i < len(frac) {
			nanos += int64(frac[i] - '0')
		}
	}
	if secs == 0 && nanos == 0 {
		return time.Time{}
	}
	// The IETF draft counts seconds from now, GitHub seconds since
	// 1970: no delay is 30 years long, and no epoch time is that early.
	if secs >= 1e9 {
		return time.Unix(secs, nanos)
	}
	return now.Add(time.Duration(min(secs, maxWaitSecs))*time.Second + time.Duration(nanos))
}

// digits reports whether s has only ASCII digits, or is empty.
func digits(s string) bool { return strings.TrimLeft(s, "0123456789") == "" }

// holdLocked holds back the requests to come until then, or later; q.mu
// is held.
func (q *Quota) holdLocked(until time.Time) {
	if until.After(q.until) {
		q.until = until
	}
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
