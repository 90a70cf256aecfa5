package pager

import (
	"context"
	"iter"
	"slices"

	"golang.org/x/sync/errgroup"
)

// fanOut prefetches an Offset source with concurrent fetches.
type fanOut[T any] struct {
	src *offsetSource[T]
	n   int
}

// Pages runs the walk on the caller's goroutine and its fetches on n
// workers: the walk queues requests for them, up to 2n pages ahead of the
// loop body, and takes their answers in order. However the loop ends, the
// defer cancels the fetches ahead and waits for the workers to return.
func (s *fanOut[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		w := &fanWalk[T]{fanOut: s, seq: s.src.walk(ctx).(*offsetWalker[T]), ctx: ctx,
			jobs: make(chan *fetch[T], 2*s.n), results: make(chan *fetch[T], 2*s.n),
			window: make([]*fetch[T], 0, 2*s.n)}
		if w.seq.done {
			return // an empty EndOffset range: nothing to fetch
		}
		w.stride = w.seq.request().Limit
		w.gen, w.cancel = context.WithCancel(ctx)
		for range s.n {
			w.g.Go(w.work)
		}
		ok := false
		defer func() {
			w.end()
			if ok {
				relay(w.failed)
			}
		}()
		for r, more := w.next(); more; r, more = w.next() {
			if !yield(r.page, r.err) || r.err != nil {
				break
			}
		}
		ok = true // else the loop body panicked, and that panic goes on
	}
}

// fanWalk is a walk of a fanOut.
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
	g       errgroup.Group     // runs the n workers
	jobs    chan *fetch[T]     // fetches for the workers to run
	results chan *fetch[T]     // fetches the workers ran
	queued  int                // fetches sent on jobs and not received from results
	window  []*fetch[T]        // fetches from seq's next page on, by offset
	free    []*fetch[T]        // fetches taken, to reuse
	over    bool               // nothing more is fetched
	failed  any                // the panic to re-raise when the loop ends
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

// work runs the fetches sent on jobs until it is closed, sending each on
// results. A fetch that panics or calls runtime.Goexit ends its worker,
// which sends what it panicked with; note starts another.
func (w *fanWalk[T]) work() error {
	var f *fetch[T] // the fetch running
	defer func() {
		if f != nil {
			f.panic = orGoexit(recover())
			w.results <- f
		}
	}()
	for job := range w.jobs {
		f = job
		f.page, f.tries, f.err = fetchTries(f.ctx, &w.src.cfg, w.src.fetch, f.req, Checkpoint{Offset: f.req.Offset})
		f = nil
		w.results <- job // never blocks: there is room for every fetch queued
	}
	return nil
}

// next returns the next result for the loop body, or false once the walk
// is over. It notes the fetches that came in, and queues more, before it
// waits for the one at the head of the window.
func (w *fanWalk[T]) next() (result[T], bool) {
	for {
		for len(w.results) > 0 {
			w.note(<-w.results)
		}
		w.fill()
		switch {
		case w.over:
			return result[T]{}, false
		case len(w.window) > 0 && w.window[0].in:
			r, ok := w.take()
			w.fill()
			return r, ok
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
		w.jobs <- f // never blocks: there is room for 2n
	}
}

// guess returns the request after the last one in the window, and whether
// to make it: not past EndOffset or a reported Total, nor past the end by
// more than n requests. The request for seq's next page is not a guess: a
// sequential walk would make it.
func (w *fanWalk[T]) guess() (Request, bool) {
	k := len(w.window)
	if k == 0 {
		return w.seq.request(), true
	}
	req, ok := w.seq.requestAt(w.window[k-1].req.Offset + w.stride)
	if !ok {
		return req, false // at or past EndOffset
	}
	// With no Total, keep room for one more unproven request if seq's next
	// page is proven: a wrong guess before it makes the walk refetch it.
	room := w.n
	if w.seq.offset < w.known {
		room--
	}
	return req, w.total > 0 && req.Offset < w.total || w.total == 0 && len(w.unproven) < room
}

// note marks f in, and learns what it shows of the listing, whether or not
// its page is taken: a Total, or items up to where they end. It keeps the
// first panic of a fetch, to re-raise even if f is discarded or not taken,
// and replaces the worker that the panic ended.
func (w *fanWalk[T]) note(f *fetch[T]) {
	w.queued--
	f.in = true
	switch {
	case f.panic != nil:
		if w.failed == nil {
			w.failed = f.panic
		}
		if !w.over {
			w.g.Go(w.work)
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

// take hands the fetch at the head of the window, which is in, to seq, and
// returns what seq makes of it for the loop body, if anything. It discards
// the guesses after a page not as long as guessed, and ends the walk
// before the loop body sees its last page or its error.
func (w *fanWalk[T]) take() (result[T], bool) {
	f := w.window[0]
	w.window = slices.Delete(w.window, 0, 1) // in place: no allocation per page
	if f.panic != nil {
		w.failed = f.panic
		w.end()
		return result[T]{}, false
	}
	p, err := w.seq.take(f.req, f.page, f.tries, f.err)
	w.free = append(w.free, f) // no worker holds it now
	switch {
	case err != nil:
		w.end()
		return result[T]{err: err}, err != errEnd
	case w.seq.done:
		w.end()
	case len(w.window) > 0 && w.window[0].req.Offset != w.seq.offset:
		w.cancel()
		w.gen, w.cancel = context.WithCancel(w.ctx)
		clear(w.window)
		w.window = w.window[:0]
	}
	w.stride = len(p.Items)
	return result[T]{page: p}, true
}

// end cancels the fetches, lets the workers return, and notes the fetches
// they ran. Calls after the first do nothing.
func (w *fanWalk[T]) end() {
	if w.over {
		return
	}
	w.over = true
	w.cancel()
	close(w.jobs)
	_ = w.g.Wait()     // workers return no error: a fetch's outcome is in the fetch
	for range w.jobs { // left by workers that panicked
		w.queued--
	}
	for w.queued > 0 {
		w.note(<-w.results)
	}
}
