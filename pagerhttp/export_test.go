package pagerhttp

import (
	"context"
	"time"
)

// WithClock makes e's rate-limit pacing and Retry-After dates use now and
// sleep instead of the real time.
func WithClock(e Endpoint, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) Endpoint {
	e.clock = clock{nowFunc: now, sleepFunc: sleep}
	return e
}

// Sleep is the real sleep of a quota wait.
var Sleep = sleep
