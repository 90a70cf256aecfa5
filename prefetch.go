package pager

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Prefetch returns a Source that yields exactly the pages, in the same
// order, and the same final error as src, while fetching up to pages pages
// ahead of the one the loop is processing.
//
// For an [Offset] source, whose offsets are known in advance, Prefetch
// fetches up to pages pages concurrently. It asks for the first pages at
// once, guessing each to be as long as the limit asked for (see [PageSize]
// and [MaxPageSize]), and the following ones as long as the page before. A
// page that comes back shorter or longer than guessed (and is not the end)
// shows the guesses after it wrong: those fetches are canceled, their pages
// and errors discarded, and the walk goes on from the true offset. Once the
// server has reported a Total, no request goes past it; in all, at most
// pages requests go past the end of the listing. (So a listing of one page
// costs up to pages requests: the first ones go out before any answer says
// where the end is.)
//
// For any other source, Prefetch runs the walk on another goroutine, one
// step ahead, with up to pages pages buffered: such walks cannot know the
// next request before the previous answer.
//
// Each walk fetches under a context of its own, derived from the one given
// to Pages and canceled when the loop ends, however it ends: by break, an
// error, the end of the listing or a panic. An in-flight fetch that
// respects its context returns at once, and every goroutine the walk
// started has exited before the range statement returns. (Under [All], a
// panic in the loop body is the exception: All has no defer, so the walk
// is stopped when the garbage collector finds it unreachable.) The loop
// body always runs on the caller's goroutine. A panic in a fetch function
// or in src is re-raised there, with its value; one in a fetch whose page
// was discarded is re-raised when the loop ends, unless the loop body
// panicked.
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
		return &fanOutSource[T]{src: o, n: pages}
	}
	ra := &readAheadSource[T]{src: src, n: pages}
	if r, ok := src.(resumable[T]); ok {
		return &resumableReadAhead[T]{ra, r}
	}
	return ra
}

// A crew runs the goroutines of one Prefetch walk: under a context that is
// canceled when the walk ends, bounded by an errgroup, with their panics
// caught to be re-raised on the caller's goroutine.
type crew struct {
	ctx    context.Context
	cancel context.CancelFunc
	quit   chan struct{} // closed when the walk ends
	g      errgroup.Group
	ended  bool // the walk returned normally, not by a panic

	mu      sync.Mutex
	pending *caught // the first panic on a crew goroutine
}

// A caught is a panic (or runtime.Goexit) on a crew goroutine.
type caught struct {
	v      any
	goexit bool
}

func newCrew(ctx context.Context, limit int) *crew {
	c := &crew{quit: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.g.SetLimit(limit)
	return c
}

// stop cancels the walk's context and waits for every goroutine to exit.
// If the walk returned normally, it then re-raises a panic that no page
// carried to the caller: one in a discarded or abandoned fetch. After a
// panic on the caller's goroutine it does not, so as not to hide that one.
func (c *crew) stop() {
	close(c.quit)
	c.cancel()
	_ = c.g.Wait() // crew goroutines return no errors: outcomes travel with their pages
	if c.ended && c.pending != nil {
		c.pending.raise()
	}
}

// catch records v, what recover returned on a crew goroutine whose function
// did not return, and returns it for the caller's goroutine to re-raise.
func (c *crew) catch(v any) *caught {
	p := &caught{v: v, goexit: v == nil}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = p
	}
	return p
}

func (p *caught) raise() {
	if p.goexit {
		panic("pager: runtime.Goexit called on a Prefetch goroutine (by a fetch function or Source)")
	}
	panic(p.v)
}

// An outcome is what a crew goroutine hands over: a page, an error, or the
// panic that ended it.
type outcome[T any] struct {
	page  Page[T]
	tries tries // Offset fan-out: how the fetch went, for OnPage
	err   error
	panic *caught
}

// walkWith runs walk, which yields on the caller's goroutine, under a new
// crew, and stops the crew when walk returns or panics.
func walkWith[T any](ctx context.Context, limit int, yield func(Page[T], error) bool, walk func(*crew, func(Page[T], error) bool)) {
	c := newCrew(ctx, limit)
	defer c.stop() // also when the loop body panics: no goroutine outlives the loop
	walk(c, yield)
	c.ended = true
}

// readAheadSource prefetches any Source by walking it one goroutine ahead.
type readAheadSource[T any] struct {
	src Source[T]
	n   int
}

func (s *readAheadSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		walkWith(ctx, 1, yield, s.walk)
	}
}

func (s *readAheadSource[T]) walk(c *crew, yield func(Page[T], error) bool) {
	// With the page in the producer's hands, n-1 in the channel make n ahead.
	ch := make(chan outcome[T], s.n-1)
	c.g.Go(func() error {
		produce(c, s.src, ch)
		return nil
	})
	for o := range ch {
		if o.panic != nil {
			o.panic.raise()
		}
		if !yield(o.page, o.err) || o.err != nil {
			return
		}
	}
}

// produce sends the pages of src to ch until the walk ends, src ends or
// yields an error, then closes ch. A panic in src is sent as an outcome.
func produce[T any](c *crew, src Source[T], ch chan<- outcome[T]) {
	returned := false
	defer func() {
		if !returned {
			send(c, ch, outcome[T]{panic: c.catch(recover())})
		}
		close(ch)
	}()
	for p, err := range src.Pages(c.ctx) {
		if !send(c, ch, outcome[T]{page: p, err: err}) || err != nil {
			break
		}
	}
	returned = true
}

// send sends o unless the walk has ended first. It waits on quit, not on
// the context: a canceled parent context must not drop the error that src
// yields for it.
func send[T any](c *crew, ch chan<- outcome[T], o outcome[T]) bool {
	select {
	case ch <- o:
		return true
	case <-c.quit:
		return false
	}
}

// resumableReadAhead is a readAheadSource over a source that [Track] can
// start at a checkpoint (a Token source, or a Prefetch of one).
type resumableReadAhead[T any] struct {
	*readAheadSource[T]
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

// fanOutSource prefetches an Offset source with concurrent fetches.
type fanOutSource[T any] struct {
	src *offsetSource[T]
	n   int
}

func (s *fanOutSource[T]) resume(c Checkpoint) (Source[T], error) {
	src, err := s.src.resume(c)
	if err != nil {
		return nil, err
	}
	return Prefetch(src, s.n), nil
}

func (s *fanOutSource[T]) kind() walkKind    { return byOffset }
func (s *fanOutSource[T]) start() Checkpoint { return s.src.start() }

func (s *fanOutSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		// No limit on the group: the walk starts at most n workers, and a
		// worker that runtime.Goexit ends starts the one that replaces it.
		walkWith(ctx, -1, yield, func(c *crew, yield func(Page[T], error) bool) {
			w := &fanOut[T]{seq: s.src.walk(c.ctx).(*offsetWalker[T]), n: s.n, c: c, jobs: make(chan job[T])}
			w.stride = w.seq.request().Limit // until a page says otherwise
			w.gen, w.genCancel = context.WithCancel(c.ctx)
			defer func() { w.genCancel() }()
			w.run(yield)
		})
	}
}

// fanOut is the state of one concurrent Offset walk. It lives on the
// caller's goroutine; only fetches run on others.
type fanOut[T any] struct {
	// seq is a sequential walk of the source, handed the answers in order
	// instead of fetching them: it decides what is yielded, and what the
	// next offset is.
	seq *offsetWalker[T]
	n   int
	c   *crew

	stride int               // the length guessed for pages not yet in: that of the last page, the limit before the first
	total  int               // the last Total reported; 0: unknown
	window []slot[T]         // fetches for seq's next page, then guesses at the pages after it
	spare  []chan outcome[T] // emptied by the walk: no fetch sends on them again

	// unproven holds the offsets requested at or past seq's next. Requests
	// past the end are among them, so keeping them to n bounds those when
	// no Total says where the end is.
	unproven []int

	// The context of the fetches in the window, canceled when they are
	// discarded.
	gen       context.Context
	genCancel context.CancelFunc

	// jobs hands fetches to the workers, crew goroutines that each run one
	// fetch at a time. Unbuffered: a fetch is handed over only to an idle
	// worker, so that at most n fetches run, discarded ones included.
	jobs    chan job[T]
	workers int // started, at most n
}

// A job is a fetch for a worker to run.
type job[T any] struct {
	ctx context.Context
	req Request
	out chan outcome[T]
}

type slot[T any] struct {
	req Request
	out chan outcome[T] // buffered: a fetch never waits for the walk
}

func (w *fanOut[T]) run(yield func(Page[T], error) bool) {
	for {
		w.fill()
		head := w.window[0]
		w.window = slices.Delete(w.window, 0, 1)
		o := <-head.out
		w.spare = append(w.spare, head.out)
		if o.panic != nil {
			o.panic.raise()
		}
		p, err := w.seq.take(head.req, o.page, o.tries, o.err)
		switch {
		case err == errEnd:
			return
		case err != nil:
			yield(Page[T]{}, err)
			return
		case w.seq.done:
			w.discard() // cancel the guesses past the end before the loop body runs
			yield(p, nil)
			return
		}
		w.advance(p)
		w.fill() // so that fetches go on while the loop body runs
		if !yield(p, nil) {
			return
		}
	}
}

// advance notes p, the page just taken, and discards the fetches in the
// window if p's length shows them to be at the wrong offsets.
func (w *fanOut[T]) advance(p Page[T]) {
	w.stride = len(p.Items)
	if p.Total > 0 {
		w.total = p.Total
	}
	next := w.seq.offset
	w.unproven = slices.DeleteFunc(w.unproven, func(off int) bool { return off < next })
	if len(w.window) > 0 && w.window[0].req.Offset != next {
		w.discard()
	}
}

// discard cancels the fetches in the window and forgets them. Their pages
// and errors are never seen; a panic in one is re-raised by stop.
func (w *fanOut[T]) discard() {
	if len(w.window) == 0 {
		return
	}
	w.genCancel()
	w.gen, w.genCancel = context.WithCancel(w.c.ctx)
	w.window = w.window[:0]
}

// fill starts fetches until the window holds n, or guessing further would
// break a bound. The next page of seq is always fetched: a sequential walk
// would ask for it.
func (w *fanOut[T]) fill() {
	for len(w.window) < w.n {
		req := w.seq.request()
		if k := len(w.window); k > 0 {
			req.Offset = w.window[k-1].req.Offset + w.stride
			if !w.mayGuess(req.Offset) {
				return
			}
		}
		w.launch(req)
	}
}

// mayGuess reports whether a fetch at off may start before the pages ahead
// of it are in.
func (w *fanOut[T]) mayGuess(off int) bool {
	switch {
	case w.total > 0:
		return off < w.total
	default:
		return len(w.unproven) < w.n
	}
}

// launch starts the fetch of req.
func (w *fanOut[T]) launch(req Request) {
	s := slot[T]{req: req}
	if k := len(w.spare); k > 0 {
		s.out, w.spare = w.spare[k-1], w.spare[:k-1]
	} else {
		s.out = make(chan outcome[T], 1)
	}
	w.window = append(w.window, s)
	w.unproven = append(w.unproven, req.Offset)
	j := job[T]{ctx: w.gen, req: req, out: s.out}
	select {
	case w.jobs <- j: // an idle worker took it
		return
	default:
	}
	if w.workers < w.n {
		w.workers++
		w.c.g.Go(worker(w.c, w.seq.src, w.jobs))
	}
	// With n workers busy, wait for one to be done, as a sequential walk
	// would wait for its fetch; a discarded fetch was canceled.
	w.jobs <- j
}

// worker returns the loop of a worker: it runs the jobs it receives until
// the walk ends. Workers outlive pages, so that a page costs no goroutine
// start, nor the growth of a new goroutine's stack.
func worker[T any](c *crew, src *offsetSource[T], jobs <-chan job[T]) func() error {
	var loop func() error
	loop = func() error {
		for {
			select {
			case j := <-jobs:
				runJob(c, src, j, loop)
			case <-c.quit:
				return nil
			}
		}
	}
	return loop
}

// runJob runs the fetch of j and sends its outcome. A panic in it is
// caught and sent as the outcome, and the worker goes on; runtime.Goexit
// cannot be stopped, so the worker starts loop, the one to replace it,
// before it ends.
func runJob[T any](c *crew, src *offsetSource[T], j job[T], loop func() error) {
	var o outcome[T]
	returned := false
	defer func() {
		if !returned {
			v := recover()
			o = outcome[T]{panic: c.catch(v)}
			if v == nil {
				c.g.Go(loop)
			}
		}
		j.out <- o
	}()
	o.page, o.tries, o.err = fetchTries(j.ctx, &src.cfg, src.fetch, j.req, j.req.Offset)
	returned = true
}
