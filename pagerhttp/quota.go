package pagerhttp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A pacer holds back requests while a rate-limit quota is spent. It is
// shared by the concurrent fetches of one Endpoint's FetchFunc.
type pacer struct {
	max   time.Duration // the longest wait
	clock clock

	mu    sync.Mutex
	until time.Time // no request before then; zero: none held back
}

// wait waits until the quota is reset, if it is spent, or ctx is done. A
// reset further away than the cap fails at once.
func (p *pacer) wait(ctx context.Context, method, u string) error {
	p.mu.Lock()
	until := p.until
	p.mu.Unlock()
	if until.IsZero() {
		return nil
	}
	d := until.Sub(p.clock.now())
	if d <= 0 {
		return nil
	}
	if d > p.max {
		return quotaError{fmt.Errorf("%w until %s (in %v, more than Endpoint.MaxQuotaWait %v): %s %s",
			ErrQuotaSpent, until.UTC().Format(time.RFC3339), d.Round(time.Second), p.max, method, u)}
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
		p.mu.Lock()
		if until.After(p.until) {
			p.until = until
		}
		p.mu.Unlock()
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
		c.sleepFunc = sleep
	}
	return c
}

func (c clock) now() time.Time { return c.nowFunc() }

func (c clock) sleep(ctx context.Context, d time.Duration) error { return c.sleepFunc(ctx, d) }

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
