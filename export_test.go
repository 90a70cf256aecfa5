package pager

import (
	"context"
	"time"
)

// WithSleep replaces the sleep between retries, so tests never sleep for real.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return option{"WithSleep", allSrcs, func(c *config) { c.sleep = f }}
}

// Sleep is the real sleep between retries.
var Sleep = sleep

// WithNow replaces the clock that times pages for OnPage.
func WithNow(now func() time.Time) Option {
	return option{"WithNow", allSrcs, func(c *config) { c.now = now }}
}
