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
// pages ahead of the loop body.
//
// Each walk fetches under a context of its own, derived from the one given
// to Pages. Before the loop body sees the last page or an error, the
// fetches ahead of it are canceled and have returned; and however the loop
// ends (the end, an error, break, or a panic in the loop body), every
// fetch and goroutine of the walk is over before the range statement
// returns. The loop body runs on the caller's goroutine. A panic in a
// fetch function or in src is re-raised there, with its value, after the
// pages before it; one in a fetch whose page was discarded or not reached,
// when the loop ends, unless the loop body panicked.
//
// Prefetch panics if src is nil or pages < 1.
func Prefetch[T any](src Source[T], pages int) Source[T] {
	if src == nil {
		panic("pager: Prefetch of a nil Source")
	}
	if pages < 1 {
		panic(fmt.Sprintf("pager: Prefetch(%d pages): must be at least 1", pages))
	}
	if o, ok := src.(*offsetSource[T]); ok {
		return &fanOut[T]{o, pages}
	}
	if r, ok := src.(resumable[T]); ok {
		return &resumableReadAhead[T]{readAhead[T]{src, pages}, r}
	}
	return &readAhead[T]{src, pages}
}

// A result is what the loop body is handed: a page, or the walk's error.
type result[T any] struct {
	page Page[T]
	err  error
}

// prefetch returns the Pages sequence of a Prefetch walk. produce runs on
// a goroutine of its own and sends the walk's results on out, a channel of
// the given capacity, until the walk is over or stop is closed; the
// caller's goroutine yields them. However the loop ends, its defer stops
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
// return, or if v is nil (the function called runtime.Goexit, which recover
// cannot stop) a panic that says so, to re-raise on the caller's goroutine.
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

// resumableReadAhead is a readAhead of a source that [Track] can start at a
// checkpoint (a Token or PageNumber source).
type resumableReadAhead[T any] struct {
	readAhead[T]
	r resumable[T]
}

func (s *resumableReadAhead[T]) resume(c Checkpoint) (Source[T], error) {
	src, err := s.r.resume(c)
	if err != nil {
		return nil, err
	}
	return Prefetch(src, s.n), nil
}

func (s *resumableReadAhead[T]) kind() walkKind    { return s.r.kind() }
func (s *resumableReadAhead[T]) start() Checkpoint { return s.r.start() }

// fanOut prefetches an Offset source with concurrent fetches.
type fanOut[T any] struct {
	src *offsetSource[T]
	n   int
}

func (s *fanOut[T]) resume(c Checkpoint) (Source[T], error) {
	src, err := s.src.resume(c)
	if err != nil {
		return nil, err
	}
	return Prefetch(src, s.n), nil
}

func (s *fanOut[T]) kind() walkKind    { return byOffset }
func (s *fanOut[T]) start() Checkpoint { return s.src.start() }

func (s *fanOut[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return prefetch(ctx, 0, s.produce)
}

// produce runs a walk: it keeps up to n fetches going and sends what they
// make, in order, until the walk is over and all is sent, or stop is closed.
func (s *fanOut[T]) produce(ctx context.Context, out chan<- result[T], stop <-chan struct{}) {
	w := &fanWalk[T]{src: s.src, n: s.n, ctx: ctx, done: make(chan *fetch[T], s.n)}
	w.seq = s.src.walk(ctx).(*offsetWalker[T])
	w.stride = w.seq.request().Limit
	w.gen, w.cancel = context.WithCancel(ctx)
	w.g.SetLimit(s.n)
	defer w.end() // on every way out: no fetch outlives the walk
	for w.step(out, stop) {
	}
	w.end()
	if w.failed != nil {
		panic(w.failed) // prefetch re-raises it on the caller's goroutine
	}
}

// fanWalk is a walk of a fanOut. It runs on one goroutine; the fetches run
// on others, one each, and come back on done.
type fanWalk[T any] struct {
	src *offsetSource[T]
	n   int

	// seq is a sequential walk of the source, handed the answers in order
	// instead of fetching them: it decides what is yielded and where the
	// next page starts.
	seq    *offsetWalker[T]
	stride int // the length guessed for pages not yet in: the last one's, or the limit
	total  int // the last Total a fetch reported; 0: unknown
	known  int // the end of the items that fetches have shown to exist

	// unproven holds the offsets requested at or past known. Requests past
	// the end are among them: keeping them to n bounds those when no Total
	// says where the end is.
	unproven []int

	ctx     context.Context
	gen     context.Context    // of the fetches in the window, canceled when they are discarded
	cancel  context.CancelFunc // of gen
	g       errgroup.Group     // runs the fetches, at most n at once
	window  []*fetch[T]        // fetches from seq's next page on, by offset
	ready   []result[T]        // what seq made of the fetches taken, for the loop body
	running int                // fetches started and not received from done, discarded ones included
	done    chan *fetch[T]     // fetches that returned; room for all running
	over    bool
	failed  any // the panic to re-raise when the loop ends
}

// A fetch is the fetch of one page, and its outcome once it is in.
type fetch[T any] struct {
	ctx   context.Context
	req   Request
	page  Page[T]
	tries tries
	err   error
	panic any

	returned bool // the fetch function returned: it did not panic
	in       bool // received from done
}

// finish, deferred by the goroutine of f, hands f back on done, with the
// panic that ended it if it did not return.
func (w *fanWalk[T]) finish(f *fetch[T]) {
	if !f.returned {
		f.panic = orGoexit(recover())
	}
	w.done <- f
}

// step does the next thing the walk waits for: it hands the loop body the
// next result, takes a fetch that returned, or sees the loop end. It
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
				w.advance(p)
				continue
			}
		case err != errEnd:
			w.ready = append(w.ready, result[T]{err: err})
		}
		w.end() // before the loop body sees the last page or the error
	}
}

// fill starts fetches while fewer than n run and fewer than 2n pages are
// ahead of the loop body, unless guessing further would break a bound. The fetch of
// seq's next page is not a guess: a sequential walk would ask for it.
func (w *fanWalk[T]) fill() {
	for !w.over && w.running < w.n && len(w.ready)+len(w.window) < 2*w.n {
		req := w.seq.request()
		if k := len(w.window); k > 0 {
			req.Offset = w.window[k-1].req.Offset + w.stride
			if w.total > 0 && req.Offset >= w.total || w.total == 0 && !w.mayGuess() {
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
			defer w.finish(f)
			f.page, f.tries, f.err = fetchTries(f.ctx, &w.src.cfg, w.src.fetch, f.req, f.req.Offset)
			f.returned = true
			return nil
		})
	}
}

// mayGuess reports whether a guess may go out with no Total known: while
// fewer than n requests are unproven, with room for one more if seq's next
// page is proven to exist, since a wrong guess before it may make the walk
// request it past the end.
func (w *fanWalk[T]) mayGuess() bool {
	room := w.n
	if w.seq.offset < w.known {
		room--
	}
	return len(w.unproven) < room
}

// advance notes p, the page just taken, and discards the fetches in the
// window if p's length shows them to be at the wrong offsets.
func (w *fanWalk[T]) advance(p Page[T]) {
	w.stride = len(p.Items)
	if len(w.window) > 0 && w.window[0].req.Offset != w.seq.offset {
		w.cancel()
		w.gen, w.cancel = context.WithCancel(w.ctx)
		clear(w.window)
		w.window = w.window[:0]
	}
}

// note marks f, received from done, as in, and learns from it what it
// shows of the listing, whether or not its page is taken: a page with
// items shows the listing to reach its end. The first panic of a fetch is
// kept to re-raise, even if f is discarded or never taken.
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
		if k := len(f.page.Items); k > 0 && f.req.Offset+k > w.known {
			w.known = f.req.Offset + k
			w.unproven = slices.DeleteFunc(w.unproven, func(off int) bool { return off < w.known })
		}
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
