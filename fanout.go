package pager

import (
	"context"
	"iter"
	"slices"

	"golang.org/x/sync/errgroup"
)

// fanOut prefetches an Offset source with n concurrent fetches.
type fanOut[T any] struct {
	src *offsetSource[T]
	n   int
}

// Pages runs the walk on the caller's goroutine and its fetches on n
// workers. The walk queues requests for them up to 2n pages ahead of the
// loop body, and hands their answers in order to a sequential walk of the
// source, which decides what is yielded and where the next page starts.
// However the loop ends, the defer cancels the fetches and waits for the
// workers to return.
func (s *fanOut[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		walker := s.src.walk(ctx).(*offsetWalker[T])
		if walker.done {
			return // an empty EndOffset range: nothing to fetch
		}
		w := &fanWalk[T]{src: s.src, n: s.n, walker: walker, stride: walker.request().Limit,
			window: make([]*fetch[T], 0, 2*s.n),
			jobs:   make(chan *fetch[T], 2*s.n), results: make(chan *fetch[T], 2*s.n)}
		w.gen, w.cancel = context.WithCancel(walker.ctx)
		for range s.n {
			w.g.Go(w.work)
		}
		ok := false
		defer func() {
			w.stop()
			if ok {
				relay(w.failed)
			}
		}()
		for {
			f := w.head()
			if f.panic != nil {
				w.failed = f.panic // re-raised in the page's place
				break
			}
			p, err := walker.take(f.req, f.page, f.tries, f.err)
			*f = fetch[T]{}            // holds no page it yielded
			w.free = append(w.free, f) // no worker holds it now: reused, not allocated per page
			if err != nil || walker.done {
				w.stop() // before the loop body sees the last page or the error
				if err != errEnd {
					yield(p, err)
				}
				break
			}
			if len(w.window) > 0 && w.window[0].req.Offset != walker.offset {
				w.discard() // the page is not as long as guessed
			}
			w.stride = len(p.Items)
			w.fill()
			if !yield(p, nil) {
				break
			}
		}
		ok = true // else the loop body panicked, and that panic goes on
	}
}

// fanWalk is a walk of a fanOut.
type fanWalk[T any] struct {
	src    *offsetSource[T]
	n      int
	walker *offsetWalker[T] // the sequential walk, handed the answers in order
	window []*fetch[T]      // the fetches from walker's next page on, by offset

	// What the fetches have shown of the listing, to guess pages ahead:
	stride   int   // the length of the last page taken, or the limit
	total    int   // the last Total reported; 0: unknown
	known    int   // the end of the items shown to exist
	unproven []int // the offsets requested at or past known: past the end, if any is

	gen     context.Context    // of the fetches in the window
	cancel  context.CancelFunc // of gen
	g       errgroup.Group     // the n workers
	jobs    chan *fetch[T]     // fetches for the workers to run
	results chan *fetch[T]     // fetches the workers ran
	queued  int                // fetches sent on jobs, not yet received from results
	free    []*fetch[T]        // fetches taken, to reuse
	over    bool               // the walk is stopped: nothing more is fetched
	failed  any                // a fetch's panic, to re-raise when the loop ends
}

// A fetch is the fetch of one page, and its outcome.
type fetch[T any] struct {
	ctx   context.Context
	req   Request
	page  Page[T]
	tries tries
	err   error
	panic any
	in    bool // received from results
}

// work runs the fetches queued until jobs is closed, and sends each on
// results, which has room for every fetch queued.
func (w *fanWalk[T]) work() error {
	for f := range w.jobs {
		w.run(f)
		w.results <- f
	}
	return nil
}

// run runs f, and keeps in f what it panicked with, to re-raise on the
// caller's goroutine. runtime.Goexit ends the worker: run sends f and
// starts the worker's successor itself.
func (w *fanWalk[T]) run(f *fetch[T]) {
	f.panic = guard(func() {
		f.page, f.tries, f.err = fetchTries(f.ctx, &w.src.cfg, w.src.fetch, f.req, Checkpoint{Offset: f.req.Offset})
	}, func(goexit any) {
		f.panic = goexit
		w.results <- f
		w.g.Go(w.work)
	})
}

// head returns the fetch of walker's next page once it is in, and notes the
// others that come in meanwhile, queuing more.
func (w *fanWalk[T]) head() *fetch[T] {
	for {
		for len(w.results) > 0 {
			w.note(<-w.results)
		}
		w.fill()
		if len(w.window) > 0 && w.window[0].in {
			f := w.window[0]
			w.window = slices.Delete(w.window, 0, 1) // in place: no allocation per page
			return f
		}
		w.note(<-w.results) // one is queued: the window's head, or a discarded fetch
	}
}

// fill queues fetches while fewer than 2n are in the window and 2n queued
// (discarded ones included), and guess allows another.
func (w *fanWalk[T]) fill() {
	for !w.over && len(w.window) < 2*w.n && w.queued < 2*w.n {
		req, ok := w.guess()
		if !ok {
			return
		}
		var f *fetch[T]
		if k := len(w.free); k > 0 {
			f, w.free = w.free[k-1], w.free[:k-1]
		} else {
			f = new(fetch[T])
		}
		*f = fetch[T]{ctx: w.gen, req: req}
		w.window = append(w.window, f)
		if req.Offset >= w.known {
			w.unproven = append(w.unproven, req.Offset)
		}
		w.queued++
		w.jobs <- f // never blocks: it has room for 2n
	}
}

// guess returns the request after the last one in the window, and whether
// to make it: not past EndOffset or a reported Total, nor past the end by
// more than n requests (2n under a Total). The request for walker's next
// page is not a guess: a sequential walk would make it.
func (w *fanWalk[T]) guess() (Request, bool) {
	k := len(w.window)
	if k == 0 {
		return w.walker.request(), true
	}
	req, ok := w.walker.requestAt(w.window[k-1].req.Offset + w.stride)
	if !ok {
		return req, false // at or past EndOffset
	}
	// Past the end are only unproven requests: at most n of them, or 2n
	// under a Total (which may be above the end: a count the API does not
	// serve in full, or items deleted since). One fewer if walker's next page
	// is proven: a wrong guess before it makes the walk refetch it.
	room := w.n
	if w.total > 0 {
		room = 2 * w.n
	}
	if w.walker.offset < w.known {
		room--
	}
	return req, (w.total == 0 || req.Offset < w.total) && len(w.unproven) < room
}

// note marks f in, and learns from it whether or not its page is taken: a
// panic, a Total, or items up to where they end.
func (w *fanWalk[T]) note(f *fetch[T]) {
	w.queued--
	f.in = true
	switch {
	case f.panic != nil:
		if w.failed == nil {
			w.failed = f.panic
		}
	case f.err == nil:
		if f.page.Total > 0 {
			w.total = f.page.Total
		}
		if end := f.req.Offset + len(f.page.Items); len(f.page.Items) > 0 && end > w.known {
			w.known = end
			w.unproven = slices.DeleteFunc(w.unproven, func(off int) bool { return off < end })
		}
	}
}

// discard cancels the fetches in the window, guessed from a page length
// that proved wrong. They are noted as they come in, and dropped.
func (w *fanWalk[T]) discard() {
	w.cancel()
	w.gen, w.cancel = context.WithCancel(w.walker.ctx)
	clear(w.window)
	w.window = w.window[:0]
}

// stop cancels the fetches, waits for the workers to return, and notes the
// fetches they ran. Calls after the first do nothing.
func (w *fanWalk[T]) stop() {
	if w.over {
		return
	}
	w.over = true
	w.cancel()
	close(w.jobs)
	_ = w.g.Wait() // workers return no error: a fetch's outcome is in the fetch
	close(w.results)
	for f := range w.results {
		w.note(f)
	}
}
