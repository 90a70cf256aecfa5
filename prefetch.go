package pager

import (
	"context"
	"fmt"
	"iter"
	"slices"

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
// past it; in all, at most pages requests go past the end of the listing.
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

// prefetch returns the Pages sequence of a Prefetch walk. produce runs on
// a goroutine of its own and sends the walk's results on out, a channel of
// the given capacity, until the walk is over or stop is closed; the
// caller's goroutine yields them. However the loop ends, the defer stops
// produce, cancels the walk's context, and waits for produce to return.
func prefetch[T any](ctx context.Context, capacity int, produce func(ctx context.Context, out chan<- result[T], stop <-chan struct{})) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		out, stop := make(chan result[T], capacity), make(chan struct{})
		var g errgroup.Group
		var failed any // what produce panicked with, once g.Wait returns
		ok := false
		defer func() {
			close(stop)
			cancel()
			_ = g.Wait()
			if ok && failed != nil { // if the loop body panicked, that panic goes on
				// errgroup does not carry a panic over to Wait, lest it
				// delay a crash and hide its stack. Prefetch must: the code
				// that panicked is the caller's (a fetch function, a
				// Source), run on a goroutine the caller did not start and
				// cannot recover on, while the caller waits for its pages;
				// it would crash a server that recovers handler panics.
				panic(failed)
			}
		}()
		g.Go(func() error {
			defer close(out)
			returned := false
			defer func() {
				if !returned {
					failed = orGoexit(recover())
				}
			}()
			produce(ctx, out, stop)
			returned = true
			return nil
		})
		for r := range out {
			if !yield(r.page, r.err) || r.err != nil {
				break
			}
		}
		ok = true
	}
}

// orGoexit returns v, what recover returned in a function that did not
// return; or if v is nil, since the function called runtime.Goexit (which
// recover does not stop), a panic that says so.
func orGoexit(v any) any {
	if v == nil {
		return "pager: runtime.Goexit called on a Prefetch goroutine (by a fetch function or Source)"
	}
	return v
}

// readAhead prefetches any Source by walking it on another goroutine.
type readAhead[T any] struct {
	src Source[T]
	n   int
}

// Pages sends the pages of src on a channel of n-1: with the page in the
// sender's hands, n ahead of the loop body.
func (s *readAhead[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return prefetch(ctx, s.n-1, func(ctx context.Context, out chan<- result[T], stop <-chan struct{}) {
		for p, err := range s.src.Pages(ctx) {
			select {
			case out <- result[T]{p, err}:
			case <-stop:
				return
			}
		}
	})
}

// fanOut prefetches an Offset source with concurrent fetches.
type fanOut[T any] struct {
	src *offsetSource[T]
	n   int
}

// Pages runs a fanWalk on the producer goroutine, which hands its results
// over one at a time: the pages ahead wait in the walk, where it counts them.
func (s *fanOut[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return prefetch(ctx, 0, func(ctx context.Context, out chan<- result[T], stop <-chan struct{}) {
		w := &fanWalk[T]{fanOut: s, seq: s.src.walk(ctx).(*offsetWalker[T]), ctx: ctx, done: make(chan *fetch[T], s.n)}
		if w.seq.done {
			return // an empty EndOffset range
		}
		w.stride = w.seq.request().Limit
		w.gen, w.cancel = context.WithCancel(ctx)
		w.g.SetLimit(s.n)
		defer w.end() // on every way out: no fetch outlives the walk
		for w.step(out, stop) {
		}
		w.end()
		if w.failed != nil {
			panic(w.failed) // for prefetch to re-raise on the caller's goroutine
		}
	})
}

// fanWalk is a walk of a fanOut. It runs on one goroutine; each fetch runs
// on one of its own, and comes back on done.
type fanWalk[T any] struct {
	*fanOut[T]

	// seq is a sequential walk of the source, handed the answers in order
	// instead of fetching them: it decides what is yielded and where the
	// next page starts.
	seq    *offsetWalker[T]
	stride int // the length guessed for pages not yet in: the last one's, or the limit
	total  int // the last Total a fetch reported; 0: unknown
	known  int // the end of the items that fetches have shown to exist

	// unproven holds the offsets requested at or past known: requests past
	// the end are among them, so keeping them to n bounds those.
	unproven []int

	ctx     context.Context
	gen     context.Context    // of the fetches in the window, canceled when they are discarded
	cancel  context.CancelFunc // of gen
	g       errgroup.Group     // runs the fetches, at most n at once
	running int                // fetches started and not received from done, discarded ones included
	done    chan *fetch[T]     // fetches that returned; room for all running
	window  []*fetch[T]        // fetches from seq's next page on, by offset
	ready   []result[T]        // what seq made of the fetches taken, for the loop body
	over    bool               // nothing more is fetched
	failed  any                // the panic to re-raise when the loop ends
}

// A fetch is the fetch of one page, and its outcome.
type fetch[T any] struct {
	ctx      context.Context
	req      Request
	page     Page[T]
	tries    tries
	err      error
	panic    any
	returned bool // the fetch function returned
	in       bool // received from done
}

// step does the next thing the walk waits for: it hands the loop body the
// next result, notes a fetch that returned, or sees the loop end. It
// reports whether the walk goes on.
func (w *fanWalk[T]) step(out chan<- result[T], stop <-chan struct{}) bool {
	if w.over && len(w.ready) == 0 {
		return false
	}
	w.fill()
	var send chan<- result[T] // nil, never ready, unless there is a result
	var r result[T]
	if len(w.ready) > 0 {
		send, r = out, w.ready[0]
	}
	select {
	case send <- r:
		w.ready = w.ready[1:]
	case f := <-w.done:
		w.note(f)
		w.take()
	case <-stop:
		return false
	}
	return true
}

// fill starts fetches while fewer than n run and fewer than 2n pages are
// ahead of the loop body, unless guessing further would break a bound. The
// fetch of seq's next page is not a guess: a sequential walk would ask for it.
func (w *fanWalk[T]) fill() {
	for !w.over && w.running < w.n && len(w.ready)+len(w.window) < 2*w.n {
		req := w.seq.request()
		if k := len(w.window); k > 0 {
			var ok bool // false past EndOffset
			if req, ok = w.seq.requestAt(w.window[k-1].req.Offset + w.stride); !ok {
				return
			}
			// With no Total, keep room for one more unproven request if
			// seq's next page is proven: a wrong guess before it makes
			// the walk refetch it.
			room := w.n
			if w.seq.offset < w.known {
				room--
			}
			if w.total > 0 && req.Offset >= w.total || w.total == 0 && len(w.unproven) >= room {
				return
			}
		}
		f := &fetch[T]{ctx: w.gen, req: req}
		w.window = append(w.window, f)
		if req.Offset >= w.known {
			w.unproven = append(w.unproven, req.Offset)
		}
		w.running++
		// Go does not block: running counts every fetch not yet received.
		w.g.Go(func() error {
			defer func() {
				if !f.returned {
					f.panic = orGoexit(recover())
				}
				w.done <- f
			}()
			f.page, f.tries, f.err = fetchTries(f.ctx, &w.src.cfg, w.src.fetch, f.req, Checkpoint{Offset: f.req.Offset})
			f.returned = true
			return nil
		})
	}
}

// note marks f in, and learns what it shows of the listing, whether or not
// its page is taken: a Total, or items up to where they end. It keeps the
// first panic of a fetch, to re-raise even if f is discarded or not taken.
func (w *fanWalk[T]) note(f *fetch[T]) {
	w.running--
	f.in = true
	switch {
	case f.panic != nil && w.failed == nil:
		w.failed = f.panic
	case f.panic == nil && f.err == nil:
		if f.page.Total > 0 {
			w.total = f.page.Total
		}
		if end := f.req.Offset + len(f.page.Items); len(f.page.Items) > 0 && end > w.known {
			w.known = end
			w.unproven = slices.DeleteFunc(w.unproven, func(off int) bool { return off < end })
		}
	}
}

// take hands the fetches at the head of the window that are in to seq, in
// order, and queues what seq makes of them for the loop body.
func (w *fanWalk[T]) take() {
	for !w.over && len(w.window) > 0 && w.window[0].in {
		f := w.window[0]
		w.window = w.window[1:]
		if f.panic != nil {
			w.failed = f.panic
			w.end()
			return
		}
		p, err := w.seq.take(f.req, f.page, f.tries, f.err)
		switch {
		case err == nil:
			w.ready = append(w.ready, result[T]{page: p})
			if !w.seq.done {
				w.stride = len(p.Items)
				if len(w.window) > 0 && w.window[0].req.Offset != w.seq.offset {
					// p was not as long as guessed: discard the guesses.
					w.cancel()
					w.gen, w.cancel = context.WithCancel(w.ctx)
					clear(w.window)
					w.window = w.window[:0]
				}
				continue
			}
		case err != errEnd:
			w.ready = append(w.ready, result[T]{err: err})
		}
		w.end() // before the loop body sees the last page or the error
	}
}

// end cancels the fetches and waits for them to return. Calls after the
// first do nothing.
func (w *fanWalk[T]) end() {
	if w.over {
		return
	}
	w.over = true
	w.cancel()
	_ = w.g.Wait() // fetches return no error: their outcome is in their fetch
	for w.running > 0 {
		w.note(<-w.done)
	}
}
