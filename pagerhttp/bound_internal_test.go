package pagerhttp

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// TestIdleOnlyWithinRead: the idle timer runs while a Read waits for
// bytes, not between Reads, where the time is the loop body's.
func TestIdleOnlyWithinRead(t *testing.T) {
	const idle = 20 * time.Millisecond
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	pr, pw := io.Pipe()
	// As a Transport does, the body fails when the request's context is done.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(context.Cause(ctx)) })
	defer stop()
	b := &body{rc: pr, ctx: ctx, cancel: cancel, idle: idle, limit: -1, where: func(err error) error { return err }}
	b.t = startTimer(idle, ErrIdleTimeout, cancel)
	b.t.Stop()
	go func() {
		for range 3 {
			pw.Write([]byte("x")) // at once: a Read is waiting for it, or will be
		}
	}()
	buf := make([]byte, 1)
	for i := range 3 {
		time.Sleep(3 * idle) // the loop body
		if _, err := b.Read(buf); err != nil {
			t.Fatalf("read %d: %v, want the byte: the time between reads counted", i, err)
		}
	}
	if cause := context.Cause(ctx); cause != nil {
		t.Fatalf("the request was canceled with %v between reads", cause)
	}
	start := time.Now()
	_, err := b.Read(buf) // nothing comes
	if !errors.Is(err, ErrIdleTimeout) || time.Since(start) > time.Second {
		t.Errorf("got %v after %v, want ErrIdleTimeout after %v", err, time.Since(start), idle)
	}
}
