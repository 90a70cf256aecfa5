package pager

import (
	"context"
	"fmt"
	"iter"
	"runtime"
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
// canceled when the walk ends, in an errgroup, with their panics caught to
// be re-raised on the caller's goroutine.
type crew struct {
	ctx    context.Context
	cancel context.CancelFunc
	quit   chan struct{} // closed when the walk ends
	g      errgroup.Group
	over   bool // stopped; used on the caller's goroutine only

	// release, if set, frees the crew's goroutines from waiting on the walk
	// once it has ended: it takes what they send, or wakes those waiting for
	// work.
	release func()

	mu      sync.Mutex
	pending *caught // the first panic on a crew goroutine
}

// A caught is a panic (or runtime.Goexit) on a crew goroutine.
type caught struct {
	v      any
	goexit bool
}

func newCrew(ctx context.Context) *crew {
	c := &crew{quit: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(ctx)
	return c
}

// stop cancels the walk's context and waits for every goroutine to exit.
// If raise is set (the walk ended normally), it then re-raises a panic
// that no page carried to the caller: one in a discarded or abandoned
// fetch. After a panic on the caller's goroutine it must not, so as not to
// hide that one. Calls after the first do nothing.
func (c *crew) stop(raise bool) {
	if c.over {
		return
	}
	c.over = true
	c.cancel() // first: a fetch that starts after quit is closed is canceled
	close(c.quit)
	if c.release != nil {
		c.release()
	}
	_ = c.g.Wait() // crew goroutines return no errors: outcomes travel with their pages
	if raise && c.pending != nil {
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

// ended reports whether the walk has ended.
func (c *crew) ended() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
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

// A prefetchWalker is the walk of a Prefetch source, on the caller's
// goroutine. Its stop ends the walk normally; abandon ends it after a panic.
type prefetchWalker[T any] interface {
	walker[T]
	stop()
	abandon()
}

// A crewWalk is what the walks of Prefetch sources embed to end their crew.
type crewWalk struct {
	c    *crew
	over bool // the walk yields nothing more
}

func newCrewWalk(c *crew) *crewWalk {
	w := &crewWalk{c: c}
	// All stops a walk on every way out of its loop but a panic in the loop
	// body (see pull). The crew's goroutines do not refer to w, so if the
	// walk is dropped unstopped, w becomes unreachable: stop the crew then.
	runtime.SetFinalizer(w, func(w *crewWalk) { go w.c.stop(false) })
	return w
}

func (w *crewWalk) stop()    { w.end(true) }
func (w *crewWalk) abandon() { w.end(false) }

func (w *crewWalk) end(raise bool) {
	w.over = true
	runtime.SetFinalizer(w, nil)
	w.c.stop(raise)
}

// prefetchPages returns the Pages sequence of a Prefetch source whose walks
// begin starts. Unlike All, it defers: a panic in the loop body stops the walk
// before it goes on up the stack.
func prefetchPages[T any](ctx context.Context, begin func(context.Context) prefetchWalker[T]) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		w := begin(ctx)
		ended := false
		defer func() {
			if !ended {
				w.abandon()
			}
		}()
		pages(w, yield)
		ended = true
		w.stop()
	}
}

// readAheadSource prefetches any Source by walking it one goroutine ahead.
type readAheadSource[T any] struct {
	src Source[T]
	n   int
}

func (s *readAheadSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return prefetchPages(ctx, s.begin)
}

// readAhead is a walk of a readAheadSource: a producer goroutine walks the
// source and sends its pages on pages, which holds n-1: with the page in
// the producer's hands, that makes n pages ahead of the one the loop is
// processing.
type readAhead[T any] struct {
	*crewWalk
	pages chan outcome[T]
}

func (s *readAheadSource[T]) begin(ctx context.Context) prefetchWalker[T] {
	c := newCrew(ctx)
	pages := make(chan outcome[T], s.n-1)
	c.release = func() {
		for range pages {
		}
	}
	c.g.Go(func() error {
		produce(c, s.src, pages)
		return nil
	})
	return &readAhead[T]{crewWalk: newCrewWalk(c), pages: pages}
}

func (w *readAhead[T]) next() (Page[T], error) {
	if w.over {
		return Page[T]{}, errEnd
	}
	o, ok := <-w.pages
	switch {
	case !ok:
		w.over = true
		return Page[T]{}, errEnd
	case o.panic != nil:
		w.abandon()
		o.panic.raise()
	case o.err != nil:
		w.over = true
		return Page[T]{}, o.err
	}
	return o.page, nil
}

// produce sends the pages of src to pages until the walk ends, src ends or
// yields an error; then it closes pages. A panic in src is sent as an
// outcome. Its sends are plain ones, cheaper than a select on the walk's
// end as well: when the walk ends, stop takes what it sends until it
// closes pages, and it sends at most one page more.
func produce[T any](c *crew, src Source[T], pages chan<- outcome[T]) {
	returned := false
	defer func() {
		if !returned {
			pages <- outcome[T]{panic: c.catch(recover())}
		}
		close(pages)
	}()
	for p, err := range src.Pages(c.ctx) {
		pages <- outcome[T]{page: p, err: err}
		if err != nil || c.ended() {
			break
		}
	}
	returned = true
}

// resumableReadAhead is a readAheadSource over a source that [AllFrom] can
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
	return prefetchPages(ctx, s.begin)
}

func (s *fanOutSource[T]) begin(ctx context.Context) prefetchWalker[T] {
	c := newCrew(ctx)
	w := &fanOut[T]{
		crewWalk: newCrewWalk(c),
		seq:      s.src.walk(c.ctx).(*offsetWalker[T]),
		n:        s.n,
		jobs:     newJobs[T](s.n),
	}
	c.release = w.jobs.close
	w.stride = w.seq.request().Limit // until a page says otherwise
	w.gen, w.genCancel = context.WithCancel(c.ctx)
	return w
}

// fanOut is a concurrent Offset walk. It lives on the caller's goroutine;
// only fetches run on others.
type fanOut[T any] struct {
	*crewWalk

	// seq is a sequential walk of the source, handed the answers in order
	// instead of fetching them: it decides what is yielded, and what the
	// next offset is.
	seq *offsetWalker[T]
	n   int

	stride int        // the length guessed for pages not yet in: that of the last page, the limit before the first
	total  int        // the last Total reported; 0: unknown
	window []*slot[T] // fetches for seq's next page, then guesses at the pages after it
	spare  []*slot[T] // emptied by the walk: no fetch uses them again

	// unproven holds the offsets requested at or past seq's next. Requests
	// past the end are among them, so keeping them to n bounds those when
	// no Total says where the end is.
	unproven []int

	// The context of the fetches in the window, canceled when they are
	// discarded.
	gen       context.Context
	genCancel context.CancelFunc

	// jobs queues fetches for the workers, crew goroutines that each run
	// one fetch at a time: at most n run at once, discarded ones included.
	jobs    *jobs[T]
	workers int // started, at most n
}

// A slot is one fetch: the walk fills in the request, and a worker sends
// the outcome on out.
type slot[T any] struct {
	ctx context.Context
	req Request
	out chan outcome[T] // buffered: a fetch never waits for the walk
}

func (w *fanOut[T]) next() (Page[T], error) {
	if w.over {
		return Page[T]{}, errEnd
	}
	if len(w.window) == 0 {
		w.fill() // the first call: later ones find the window filled
	}
	head := w.window[0]
	w.window = slices.Delete(w.window, 0, 1)
	o := <-head.out
	req := head.req
	head.ctx = nil // not kept from the garbage collector
	w.spare = append(w.spare, head)
	if o.panic != nil {
		w.abandon()
		o.panic.raise()
	}
	p, err := w.seq.take(req, o.page, o.tries, o.err)
	switch {
	case err != nil:
		w.over = true
		return Page[T]{}, err
	case w.seq.done:
		w.over = true
		w.discard() // cancel the guesses past the end before the loop body runs
		return p, nil
	}
	w.advance(p)
	w.fill() // so that fetches go on while the loop body runs
	return p, nil
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
	w.jobs.clear()  // those not started never will be
	clear(w.window) // their slots go to the garbage collector, not to spare
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
	if w.total > 0 {
		return off < w.total
	}
	return len(w.unproven) < w.n
}

// launch queues the fetch of req, and starts a worker for it if no idle
// one is left for it and fewer than n run.
func (w *fanOut[T]) launch(req Request) {
	var s *slot[T]
	if k := len(w.spare); k > 0 {
		s, w.spare = w.spare[k-1], w.spare[:k-1]
	} else {
		s = &slot[T]{out: make(chan outcome[T], 1)}
	}
	s.ctx, s.req = w.gen, req
	w.window = append(w.window, s)
	w.unproven = append(w.unproven, req.Offset)
	if w.jobs.push(s) && w.workers < w.n {
		w.workers++
		w.c.g.Go(worker(w.c, w.seq.src, w.jobs))
	}
}

// worker returns the loop of a worker: it runs the jobs it takes until the
// walk ends. Workers outlive pages, so that a page costs no goroutine
// start, nor the growth of a new goroutine's stack.
func worker[T any](c *crew, src *offsetSource[T], q *jobs[T]) func() error {
	var loop func() error
	loop = func() error {
		for {
			s, ok := q.pop()
			if !ok {
				return nil
			}
			runJob(c, src, s, loop)
		}
	}
	return loop
}

// jobs is the queue of fetches of a fanOut: the slots in its window that
// no worker has taken yet.
type jobs[T any] struct {
	mu     sync.Mutex
	more   sync.Cond // signaled when a slot is queued, or the queue closed
	ring   []*slot[T]
	head   int
	n      int // slots queued
	idle   int // workers in pop
	closed bool
}

func newJobs[T any](n int) *jobs[T] {
	q := &jobs[T]{ring: make([]*slot[T], n)}
	q.more.L = &q.mu
	return q
}

// push queues s, and reports whether more slots are queued than workers
// wait for them.
func (q *jobs[T]) push(s *slot[T]) (short bool) {
	q.mu.Lock()
	q.ring[(q.head+q.n)%len(q.ring)] = s // the window has room for it, so the queue has
	q.n++
	short = q.n > q.idle
	q.mu.Unlock()
	q.more.Signal()
	return short
}

// pop takes the first slot queued, waiting for one, or returns false once
// the queue is closed.
func (q *jobs[T]) pop() (*slot[T], bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.idle++
	defer func() { q.idle-- }()
	for {
		switch {
		case q.closed:
			return nil, false
		case q.n > 0:
			s := q.ring[q.head]
			q.ring[q.head] = nil
			q.head = (q.head + 1) % len(q.ring)
			q.n--
			return s, true
		}
		q.more.Wait()
	}
}

// clear drops the slots queued: the window they were in is discarded.
func (q *jobs[T]) clear() {
	q.mu.Lock()
	clear(q.ring)
	q.head, q.n = 0, 0
	q.mu.Unlock()
}

// close ends the walk's workers: each returns from pop, or returns to it
// after its fetch, which the crew cancels.
func (q *jobs[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.more.Broadcast()
}

// runJob runs the fetch of s and sends its outcome. A panic in it is
// caught and sent as the outcome, and the worker goes on; runtime.Goexit
// cannot be stopped, so the worker starts loop, the one to replace it,
// before it ends.
func runJob[T any](c *crew, src *offsetSource[T], s *slot[T], loop func() error) {
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
		s.out <- o
	}()
	o.page, o.tries, o.err = fetchTries(s.ctx, &src.cfg, src.fetch, s.req, Checkpoint{Offset: s.req.Offset})
	returned = true
}
