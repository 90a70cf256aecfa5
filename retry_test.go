package pager_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// sleeps records the sleeps a walk asked for, without sleeping.
type sleeps []time.Duration

func (s *sleeps) option() pager.Option {
	return pager.WithSleep(func(ctx context.Context, d time.Duration) error {
		*s = append(*s, d)
		return ctx.Err()
	})
}

// failFirst fails the first n requests with err.
func failFirst(n int, err error) func(int, pager.Request) error {
	return func(call int, _ pager.Request) error {
		if call <= n {
			return err
		}
		return nil
	}
}

// retryAfterErr is a transient error that asks for a wait, like a 429.
type retryAfterErr time.Duration

func (e retryAfterErr) Error() string             { return fmt.Sprintf("429, retry after %v", time.Duration(e)) }
func (e retryAfterErr) RetryAfter() time.Duration { return time.Duration(e) }

// permanentErr is an error that says it is not worth retrying, like a 400.
type permanentErr struct{}

func (permanentErr) Error() string   { return "400 bad request" }
func (permanentErr) Retryable() bool { return false }

var errTransient = errors.New("503 service unavailable")

func policy(attempts int) pager.RetryPolicy {
	return pager.RetryPolicy{Attempts: attempts, MinDelay: time.Second, MaxDelay: 8 * time.Second}
}

func retryWalk(srv *pagetest.Server, opts ...pager.Option) ([]int, error) {
	return pager.Collect(pager.All(context.Background(), pager.Offset(srv.Offset, opts...)))
}

func TestRetry(t *testing.T) {
	tests := []struct {
		label        string
		policy       pager.RetryPolicy
		fail         error
		failures     int // the first requests that fail
		wantErr      bool
		wantAttempts int // on the failed page, when wantErr
		wantSleeps   int
		minSleep     time.Duration
		reason       string
	}{
		{
			label: "recovers", policy: policy(3), fail: errTransient, failures: 2,
			wantSleeps: 2, minSleep: time.Second,
			reason: "two failures and a success within three attempts",
		},
		{
			label: "exhausted", policy: policy(3), fail: errTransient, failures: 3,
			wantErr: true, wantAttempts: 3, wantSleeps: 2,
			reason: "three attempts, two sleeps, then the page fails",
		},
		{
			label: "no policy", policy: pager.RetryPolicy{}, fail: errTransient, failures: 1,
			wantErr: true, wantAttempts: 1,
			reason: "the zero RetryPolicy does not retry",
		},
		{
			label: "retry after", policy: policy(2), fail: retryAfterErr(30 * time.Second), failures: 1,
			wantSleeps: 1, minSleep: 30 * time.Second,
			reason: "a server's Retry-After is waited for even past MaxDelay",
		},
		{
			label: "retry after past the cap", policy: policy(5), fail: retryAfterErr(24 * time.Hour), failures: 1,
			wantErr: true, wantAttempts: 1,
			reason: "a Retry-After of a day is not waited for: the error is returned at once",
		},
		{
			label: "permanent by method", policy: policy(5), fail: fmt.Errorf("wrapped: %w", permanentErr{}), failures: 1,
			wantErr: true, wantAttempts: 1,
			reason: "an error whose Retryable method says false is not retried",
		},
		{
			label: "permanent by classifier", fail: errTransient, failures: 1,
			policy:  pager.RetryPolicy{Attempts: 5, Retryable: func(err error) bool { return !errors.Is(err, errTransient) }},
			wantErr: true, wantAttempts: 1,
			reason: "the policy's Retryable decides",
		},
		{
			label: "request deadline", policy: policy(2), fail: fmt.Errorf("get: %w", context.DeadlineExceeded), failures: 1,
			wantSleeps: 1, minSleep: time.Second,
			reason: "a fetch that hit its own deadline while the walk's context is live is retried",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := &pagetest.Server{N: 20, Total: true, Fail: failFirst(tt.failures, tt.fail)}
			var s sleeps
			items, err := retryWalk(srv, pager.PageSize(10), pager.Retry(tt.policy), s.option())
			if tt.wantErr {
				var pe *pager.PageError
				if !errors.As(err, &pe) || !errors.Is(err, tt.fail) || pe.Attempts != tt.wantAttempts {
					t.Fatalf("got %v, want a *PageError after %d attempts wrapping %v: %s", err, tt.wantAttempts, tt.fail, tt.reason)
				}
			} else if err != nil || len(items) != 20 {
				t.Fatalf("got %d items and %v, want 20 and no error: %s", len(items), err, tt.reason)
			}
			if len(s) != tt.wantSleeps {
				t.Errorf("got sleeps %v, want %d: %s", s, tt.wantSleeps, tt.reason)
			}
			if len(s) > 0 && s[0] < tt.minSleep {
				t.Errorf("got sleeps %v, want at least %v: %s", s, tt.minSleep, tt.reason)
			}
		})
	}
}

// TestBackoff checks that the sleeps grow exponentially, with jitter, and
// stay between MinDelay and MaxDelay.
func TestBackoff(t *testing.T) {
	const tries = 12
	seen := make(map[time.Duration]bool)
	for range 20 {
		srv := &pagetest.Server{N: 5, Fail: failFirst(tries-1, errTransient)}
		var s sleeps
		if _, err := retryWalk(srv, pager.Retry(policy(tries)), s.option()); err != nil {
			t.Fatal(err)
		}
		if len(s) != tries-1 {
			t.Fatalf("got %d sleeps, want %d", len(s), tries-1)
		}
		for k, d := range s {
			ceil := min(8*time.Second, time.Second<<(k+1))
			if d < time.Second || d > ceil {
				t.Errorf("sleep %d: got %v, want within [1s, %v]", k+1, d, ceil)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("got %d distinct sleeps in 220, want jitter", len(seen))
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &pagetest.Server{N: 20, Fail: failFirst(100, errTransient)}
	sleepCancels := pager.WithSleep(func(ctx context.Context, d time.Duration) error {
		cancel() // the walk is canceled while it sleeps
		<-ctx.Done()
		return ctx.Err()
	})
	_, err := pager.Collect(pager.All(ctx, pager.Offset(srv.Offset, pager.Retry(policy(10)), sleepCancels)))
	var pe *pager.PageError
	if !errors.As(err, &pe) || pe.Attempts != 1 {
		t.Fatalf("got %v, want a *PageError after 1 attempt", err)
	}
	if got := srv.Calls(); got != 1 {
		t.Errorf("got %d fetches, want 1: no retry once the walk's context is done", got)
	}
}

func TestNoRetryAfterWalkDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	srv := &pagetest.Server{N: 20, Fail: func(int, pager.Request) error {
		cancel() // the walk's own context ends during the fetch
		return context.Canceled
	}}
	var s sleeps
	_, err := pager.Collect(pager.All(ctx, pager.Offset(srv.Offset, pager.Retry(policy(10)), s.option())))
	if !errors.Is(err, context.Canceled) || srv.Calls() != 1 || len(s) != 0 {
		t.Errorf("got %v after %d fetches and %d sleeps, want context.Canceled after 1 and 0", err, srv.Calls(), len(s))
	}
}

func TestSleepWakesOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error)
	go func() { done <- pager.Sleep(ctx, time.Hour) }()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if err := pager.Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func TestBackoffHuge(t *testing.T) {
	srv := &pagetest.Server{N: 5, Fail: failFirst(40, errTransient)}
	var s sleeps
	huge := pager.RetryPolicy{Attempts: 41, MinDelay: time.Hour, MaxDelay: 1000 * time.Hour}
	if _, err := retryWalk(srv, pager.Retry(huge), s.option()); err != nil {
		t.Fatal(err)
	}
	for k, d := range s {
		if d < time.Hour || d > 1000*time.Hour {
			t.Fatalf("sleep %d: got %v, want within [1h, 1000h]", k+1, d)
		}
	}
}
