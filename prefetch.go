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
// to Pages and canceled when the loop ends. Before the loop body sees the
// last page or an error, the fetches ahead of it are canceled and have
// returned; and however the loop ends (the end, an error, break, or a panic
// in the loop body), every goroutine of the walk has exited before the
// range statement returns. The loop body runs on the caller's goroutine. A
// panic in a fetch function or in src is re-raised there, with its value,
// after the pages before it; one in a fetch whose page was discarded or not
// reached, when the loop ends, unless the loop body panicked.
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

// A result is what the loop body is handed: a page or the walk's error.
type result[T any] struct {
	page Page[T]
	err  error
}

// prefetch returns the Pages sequence of a Prefetch walk. produce runs on a
// goroutine of its own under a context canceled when the loop ends, and
// sends the walk's results on out (of the given capacity) until it is
// over or stop is closed; the caller's goroutine yields them.
func prefetch[T any](ctx context.Context, capacity int, produce func(context.Context, chan<- result[T], <-chan struct{})) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		out, stop := make(chan result[T], capacity), make(chan struct{})
		var g errgroup.Group
		var panicked any // what produce panicked with, once g.Wait returns
		returned := false
		defer func() {
			close(stop)
			cancel()
			_ = g.Wait() // produce returns no error: errors travel on out
			if panicked != nil && returned {
				// errgroup does not carry a panic to Wait, lest it delay a
				// crash and hide where it happened. We must: the code
				// that panicked is the caller's (a fetch function, a
				// Source), run on a goroutine the caller did not start
				// and cannot recover on, while the caller waits for its
				// pages; so it crashes here, where the caller can see it
				// (net/http recovers a handler's panic, for one).
				panic(panicked)
			}
		}()
		g.Go(func() error {
			defer close(out)
			ok := false
			defer func() {
				if !ok {
					panicked = relay(recover())
				}
			}()
			produce(ctx, out, stop)
			ok = true
			return nil
		})
		for r := range out {
			if !yield(r.page, r.err) || r.err != nil {
				break
			}
		}
		returned = true // not a panic in the loop body: that one goes first
	}
}

// relay returns what to re-raise on the caller's goroutine for v, what
// recover returned in a function that did not return: v, or if v is nil,
// which means the function called runtime.Goexit, a panic that says so.
func relay(v any) any {
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
// sender's hands, that makes n ahead of the loop body.
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

func (s *fanOut[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return prefetch(ctx, 0, s.produce)
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

// fanWalk is one concurrent Offset walk. It runs on one goroutine; only
// the fetches run on others, each on its own, and hand back their fetch.
type fanWalk[T any] struct {
	src *offsetSource[T]
	n   int

	// seq is a sequential walk of the source, handed the answers in order
	// instead of fetching them: it decides what is yielded and where the
	// next page starts.
	seq    *offsetWalker[T]
	stride int // the length guessed for pages not yet in: that of the last one, or the limit
	total  int // the last Total reported; 0: unknown

	window []*fetch[T] // fetches from seq's next page on, by offset
	ready  []result[T] // what seq made of the fetches taken, for the loop body
	over   bool        // nothing more is fetched or taken
	failed any         // the first panic in a fetch, re-raised once ready is sent

	// unproven holds the offsets requested at or past seq's next one.
	// Requests past the end are among them: keeping them to n bounds those
	// when no Total says where the end is.
	unproven []int

	ctx     context.Context
	gen     context.Context    // of the fetches in the window, canceled when they are discarded
	cancel  context.CancelFunc // of gen
	g       errgroup.Group     // the fetches: at most n at once
	running int                // fetches started and not received from done, discarded ones included
	done    chan *fetch[T]     // the fetches that returned; room for all running
}

// A fetch is the fetch of one page: its outcome, once it is received.
type fetch[T any] struct {
	ctx   context.Context
	req   Request
	page  Page[T]
	tries tries
	err   error
	panic any // what the fetch panicked with
	in    bool
}

// produce runs the walk: it keeps fetches going, and sends what they make
// in order, until the walk is over and its results are sent, or stop is
// closed.
func (s *fanOut[T]) produce(ctx context.Context, out chan<- result[T], stop <-chan struct{}) {
	w := &fanWalk[T]{src: s.src, n: s.n, ctx: ctx, done: make(chan *fetch[T], s.n)}
	w.seq = s.src.walk(ctx).(*offsetWalker[T])
	w.stride = w.seq.request().Limit
	w.gen, w.cancel = context.WithCancel(ctx)
	w.g.SetLimit(s.n)
	defer w.end() // on every way out, no fetch outlives the walk
	for len(w.ready) > 0 || !w.over {
		w.fill()
		var send chan<- result[T] // nil, so never ready, unless a result is
		var r result[T]
		if len(w.ready) > 0 {
			send, r = out, w.ready[0]
		}
		select {
		case send <- r:
			w.ready = w.ready[1:]
		case f := <-w.done:
			w.running--
			w.note(f)
			w.take()
		case <-stop:
			return
		}
	}
	w.end()
	if w.failed != nil {
		panic(w.failed) // prefetch relays it
	}
}

// fill starts fetches while fewer than n run and fewer than 2n pages are
// ahead of the loop body, unless guessing further would break a bound. The
// fetch of seq's next page is not a guess: a sequential walk would ask for it.
func (w *fanWalk[T]) fill() {
	for !w.over && w.running < w.n && len(w.ready)+len(w.window) < 2*w.n {
		req := w.seq.request()
		if k := len(w.window); k > 0 {
			req.Offset = w.window[k-1].req.Offset + w.stride
			if w.total > 0 && req.Offset >= w.total || w.total == 0 && len(w.unproven) >= w.n {
				return
			}
		}
		f := &fetch[T]{ctx: w.gen, req: req}
		w.window = append(w.window, f)
		w.unproven = append(w.unproven, req.Offset)
		w.running++
		// Go blocks, if at all, only while fetches received from done
		// return: running counts the others.
		w.g.Go(func() error {
			ok := false
			defer func() {
				if !ok {
					f.panic = relay(recover())
				}
				w.done <- f
			}()
			f.page, f.tries, f.err = fetchTries(f.ctx, &w.src.cfg, w.src.fetch, f.req, f.req.Offset)
			ok = true
			return nil
		})
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
		if err != nil {
			w.end() // before the loop body sees the error
			if err != errEnd {
				w.ready = append(w.ready, result[T]{err: err})
			}
			return
		}
		w.ready = append(w.ready, result[T]{page: p})
		if w.seq.done {
			w.end() // before the loop body sees the last page
			return
		}
		w.stride = len(p.Items)
		if p.Total > 0 {
			w.total = p.Total
		}
		next := w.seq.offset
		w.unproven = slices.DeleteFunc(w.unproven, func(off int) bool { return off < next })
		if len(w.window) > 0 && w.window[0].req.Offset != next {
			// p was not as long as guessed: the guesses after it are wrong.
			w.cancel()
			w.gen, w.cancel = context.WithCancel(w.ctx)
			clear(w.window)
			w.window = w.window[:0]
		}
	}
}

// end cancels the fetches and waits for them, noting a panic in one whose
// outcome was not received. Calls after the first do nothing.
func (w *fanWalk[T]) end() {
	if w.done == nil {
		return
	}
	w.over = true
	w.cancel()
	_ = w.g.Wait() // fetches return no error: outcomes travel in their fetch
	close(w.done)
	for f := range w.done {
		w.note(f)
	}
	w.done = nil // blocks the select for good
}

// note marks f in, and keeps its panic if it is the first: a panic in a
// fetch that is discarded or never taken is re-raised at the end.
func (w *fanWalk[T]) note(f *fetch[T]) {
	f.in = true
	if f.panic != nil && w.failed == nil {
		w.failed = f.panic
	}
}
