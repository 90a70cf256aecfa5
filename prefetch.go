package pager

import (
	"context"
	"fmt"
	"iter"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Prefetch returns a Source that yields exactly the pages, in the same
// order, and the same final error as src, while fetching pages ahead of the
// one the loop body is processing.
//
// For an [Offset] source, whose offsets are known in advance, Prefetch runs
// up to pages fetches at once, and holds at most 2×pages pages ahead of the
// loop body, fetched or being fetched. It guesses each page to be as long
// as the one before it (the first ones as long as the limit asked for: see
// [PageSize] and [MaxPageSize]). A page that comes back shorter or longer
// than guessed (and is not the end) shows the guesses after it wrong: those
// fetches are canceled, their outcomes discarded, and the walk goes on from
// the true offset. Once the server has reported a Total, no request goes
// past it; in all, at most pages requests go past the end of the listing
// (2×pages if a Total says the listing is longer than it is).
// (So a listing of one page costs up to pages requests: the first ones go
// out before any answer says where the end is.)
//
// For any other source, which cannot know a request before the answer to
// the one before, Prefetch walks src on another goroutine, at most pages
// pages ahead of the loop body. That includes a source of another type that
// wraps an Offset source: Prefetch cannot know what the wrapper does to the
// pages, so it reads ahead rather than fan out.
//
// Each walk fetches under a context of its own, derived from the one given
// to Pages. Before the loop body sees the last page or an error, the
// fetches ahead of it are canceled and have returned; however the loop
// ends (the end, an error, break, or a panic in the loop body), every
// fetch and goroutine of the walk is over before the range statement
// returns. The loop body runs on the caller's goroutine. A panic in a fetch
// function or in src is re-raised there with its value, after the pages
// before it; one in a fetch whose page was discarded or not reached, when
// the loop ends, unless the loop body panicked.
//
// Prefetch panics if src is nil or pages < 1.
func Prefetch[T any](src Source[T], pages int) Source[T] {
	if src == nil {
		panic("pager: Prefetch of a nil Source")
	}
	if pages < 1 {
		panic(fmt.Sprintf("pager: Prefetch(%d pages): must be at least 1", pages))
	}
	var p Source[T] = &readAhead[T]{src, pages}
	if o, ok := src.(*offsetSource[T]); ok {
		p = &fanOut[T]{o, pages}
	}
	if r, ok := src.(resumable[T]); ok {
		return &resumablePrefetch[T]{p, r, pages}
	}
	return p
}

// resumablePrefetch is a Prefetch of a source that [AllFrom] can start at a
// checkpoint.
type resumablePrefetch[T any] struct {
	Source[T]
	r resumable[T]
	n int
}

func (s *resumablePrefetch[T]) resume(c Checkpoint) (Source[T], error) {
	src, err := s.r.resume(c)
	if err != nil {
		return nil, err
	}
	return Prefetch(src, s.n), nil
}

func (s *resumablePrefetch[T]) kind() walkKind    { return s.r.kind() }
func (s *resumablePrefetch[T]) start() Checkpoint { return s.r.start() }

// A result is what the loop body is handed: a page, or the walk's error.
type result[T any] struct {
	page Page[T]
	err  error
}

// guard calls f and returns what it panicked with, if it did: recover's
// value, or a *runtime.PanicNilError for a panic(nil) under
// GODEBUG=panicnil=1, where recover returns nil. If f calls
// runtime.Goexit, which recover does not stop (and for which it returns
// nil too: only f's return tells the two apart), guard calls goexit with
// a panic value that says so, as f's goroutine ends.
func guard(f func(), goexit func(any)) (panicked any) {
	stopped := false // f returned, or its panic was recovered
	defer func() {
		if !stopped {
			goexit("pager: runtime.Goexit called on a Prefetch goroutine (by a fetch function or Source)")
		}
	}()
	func() {
		returned := false
		defer func() {
			if !returned {
				if panicked = recover(); panicked == nil {
					panicked = new(runtime.PanicNilError)
				}
			}
		}()
		f()
		returned = true
	}()
	stopped = true
	return panicked
}

// readAhead prefetches any Source by walking it on another goroutine.
type readAhead[T any] struct {
	src Source[T]
	n   int
}

// Pages walks src on a goroutine that sends its pages on a channel of n-1:
// with the page in the sender's hands, n ahead of the loop body. However
// the loop ends, the defer stops the sender, cancels its context, and waits
// for it to return.
func (s *readAhead[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		out, stop := make(chan result[T], s.n-1), make(chan struct{})
		var g errgroup.Group
		var failed any // what the walk panicked with, once g.Wait returns
		ok := false
		defer func() {
			close(stop)
			cancel()
			_ = g.Wait()
			if ok {
				relay(failed)
			}
		}()
		g.Go(func() error {
			defer close(out)
			failed = guard(func() { s.send(ctx, out, stop) }, func(goexit any) { failed = goexit })
			return nil
		})
		for r := range out {
			if !yield(r.page, r.err) || r.err != nil {
				break
			}
		}
		ok = true // else the loop body panicked, and that panic goes on
	}
}

// send sends the pages of src on out until the walk is over or stop is
// closed.
func (s *readAhead[T]) send(ctx context.Context, out chan<- result[T], stop <-chan struct{}) {
	for p, err := range s.src.Pages(ctx) {
		select {
		case out <- result[T]{p, err}:
		case <-stop:
			return
		}
	}
}

// relay panics with v, what a fetch function or Source panicked with on a
// goroutine of the walk, unless v is nil. errgroup does not carry a panic
// over to Wait, lest it delay a crash and hide its stack. Prefetch must:
// the code that panicked is the caller's, run on a goroutine the caller
// did not start and cannot recover on; it would crash a server that
// recovers handler panics.
func relay(v any) {
	if v != nil {
		panic(v)
	}
}
