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
// the reset it reports. Without one, the requests of a FetchFunc or
// Source are paced by their own answers only, and an Open call, alone, by
// none.
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
	until time.Time // no request before then; zero: none held back
}

// A pacer holds back the requests of one Endpoint's FetchFunc, Source or
// Open call while the quota q is spent.
type pacer struct {
	max   time.Duration // the longest wait
	clock clock
	q     *Quota // Endpoint.Quota, or one of the FetchFunc's own
}

// wait waits until the quota is reset, if it is spent, or ctx is done. A
// reset further away than the cap fails at once.
func (p *pacer) wait(ctx context.Context, method, u string) error {
	p.q.mu.Lock()
	until := p.q.until
	p.q.mu.Unlock()
	if until.IsZero() {
		return nil
	}
	d := until.Sub(p.clock.now())
	if d <= 0 {
		return nil
	}
	if d > p.max {
		return quotaError{fmt.Errorf("%w until %s (in %v; Endpoint.MaxQuotaWait is %v): %s %s",
			ErrQuotaSpent, until.UTC().Format(time.RFC3339), d.Round(time.Second), p.max, method, u)}
	}
	if p.q.OnWait != nil {
		p.q.OnWait(d, until)
	}
	return p.clock.sleep(ctx, d)
}

// observe holds back the requests to come until the reset that h reports,
// if it says the quota is spent: RateLimit-Remaining: 0 with
// RateLimit-Reset, or GitHub's X-RateLimit-Remaining and X-RateLimit-Reset.
func (p *pacer) observe(h http.Header) {
	for _, prefix := range [...]string{"Ratelimit-", "X-Ratelimit-"} {
		if strings.TrimSpace(h.Get(prefix+"Remaining")) != "0" {
			continue
		}
		reset, err := strconv.ParseInt(strings.TrimSpace(h.Get(prefix+"Reset")), 10, 64)
		if err != nil || reset <= 0 {
			continue
		}
		now := p.clock.now()
		// The IETF draft counts seconds from now, GitHub seconds since
		// 1970: no delay is 30 years long, and no epoch time is that early.
		until := now.Add(time.Duration(min(reset, maxWaitSecs)) * time.Second)
		if reset >= 1e9 {
			until = time.Unix(reset, 0)
		}
		p.q.mu.Lock()
		if until.After(p.q.until) {
			p.q.until = until
		}
		p.q.mu.Unlock()
		return
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
