package pager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// NDJSON returns a Source for a stream of JSON values, one per line (NDJSON,
// JSON Lines), such as an HTTP response body served as
// application/x-ndjson. Each line is decoded into a T as by
// [json.Unmarshal], or by the function given with [DecodeWith].
//
// Lines end in "\n" or "\r\n"; the last may lack its line ending. Blank
// lines and lines of JSON whitespace are skipped, and so is a UTF-8
// byte-order mark at the start of the stream. A line may be as long as
// [MaxLineSize] (64 MiB by default); a longer one ends the walk with a
// [*LineError] wrapping [ErrLineTooLong] as soon as that many bytes of it
// have been read, not after reading all of it.
//
// A line that does not decode, that holds more than one value, or that the
// end of the stream cuts short ends the walk with a *LineError that says
// which line and wraps the decoder's error; a failed read ends it with a
// *LineError wrapping the reader's error. [SkipBadLines] skips bad lines,
// and reports them, instead.
//
// Each page holds the items of one read of up to 64 KiB (or of one longer
// line), in order, without empty pages; Page.Offset counts items from the
// start of the stream. Lines are read and decoded ahead of the loop, on up to
// GOMAXPROCS goroutines (8 at most), at most 2×GOMAXPROCS pages ahead, so
// memory stays bounded by the longest line plus about a megabyte however
// long the stream is.
//
// The source reads r once: a second walk yields only an error. When a walk
// ends before the end of the stream (a break, an error, a done context), a
// read in flight is stopped by closing r if r is an [io.Closer], as an HTTP
// response body is, whose Close may be called during a Read. Otherwise the
// walk waits for that read to return, unless the context is done: then the
// read is abandoned, and the goroutine making it exits when it returns. A
// done context ends the walk with ctx.Err(). Every other goroutine the walk
// started has exited before a range statement over Pages returns, however
// it ends ([All] leaves that to the garbage collector when its loop body
// panics). A panic in the decoder is raised again on the goroutine ranging
// over the walk.
//
// NDJSON panics if r is nil.
func NDJSON[T any](r io.Reader, opts ...Option) Source[T] {
	if r == nil {
		panic("pager: NDJSON with a nil io.Reader")
	}
	return &ndjsonSource[T]{r: r, cfg: newConfig(ndjsonSrc, opts)}
}

// errWalkedTwice ends a second walk of an NDJSON source.
var errWalkedTwice = errors.New("pager: NDJSON source walked twice: it reads its reader once")

const (
	readSize = 64 << 10 // bytes asked of the reader at a time: one page's worth of lines

	// lineSlack is how far past MaxLineSize an unfinished line may run
	// before the reader calls it too long: a "\r" and a byte-order mark do
	// not count, and the decoding side checks whole lines exactly.
	lineSlack = 4

	excerptSize = 40 // bytes of a bad line in its LineError
	maxWorkers  = 8
)

type ndjsonSource[T any] struct {
	r    io.Reader
	cfg  config
	used atomic.Bool
}

// The source is not walkable: its walk's goroutines must be stopped however
// the loop ends, a panic included, which takes the defer here; All stops
// walkers without one.
func (s *ndjsonSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		if s.used.Swap(true) {
			yield(Page[T]{}, errWalkedTwice)
			return
		}
		w := s.start(ctx)
		defer w.stop()
		w.run(yield)
	}
}

// A batch is a run of whole lines, read in one go, and then what decoding
// them gave. Decoding is done by whoever claims the batch first: a worker,
// or the consumer when it needs the batch before any worker took it.
type batch[T any] struct {
	data   []byte // whole lines; at the end of the stream the last may lack "\n"
	lines  int    // number of lines in data
	line   int    // number of the first line
	offset int64  // of the first line in the stream

	claimed atomic.Bool
	done    chan struct{} // closed when a worker has decoded the batch

	items  []T
	bad    []badLine // in stream order; at most one unless lines are skipped
	panicV any       // a worker's decoder panicked with panicV…
	goexit bool      // …or called runtime.Goexit
}

// A badLine is a line that yielded no item.
type badLine struct {
	at    int // the number of items before it in the batch
	err   *LineError
	fatal bool // a read error: no skipping it
}

// ndjsonWalk is one walk of an ndjsonSource. The reader goroutine cuts the
// stream into batches and queues them on pending, in order, and on work for
// the workers; the consumer (the goroutine ranging over the walk) takes
// them from pending and yields their items.
type ndjsonWalk[T any] struct {
	src     *ndjsonSource[T]
	ctx     context.Context // the caller's
	cancel  context.CancelFunc
	wctx    context.Context // the walk's own, done when the walk ends
	pending chan *batch[T]  // closed by the reader goroutine when it returns
	work    chan *batch[T]  // nil when there are no workers
	free    chan []byte     // read buffers of readSize, for reuse
	workers errgroup.Group
	decode  func([]byte, *T) error // the consumer's decoder
	offset  int                    // of the next item to yield
	eof     bool                   // the reader reached the end of the stream; set before pending is closed

	mu       sync.Mutex // guards reading and stopped
	reading  bool       // a Read is in flight
	stopped  bool       // no Read is to start
	readDone chan struct{}
	empty    int // successive reads that returned nothing, on the reader goroutine
}

func (s *ndjsonSource[T]) start(ctx context.Context) *ndjsonWalk[T] {
	// At most 8 workers, so that the read-ahead (2 pages a worker) stays
	// about a megabyte.
	procs := min(runtime.GOMAXPROCS(0), maxWorkers)
	window := 2 * procs // batches read ahead of the consumer
	w := &ndjsonWalk[T]{
		src:      s,
		ctx:      ctx,
		pending:  make(chan *batch[T], window),
		free:     make(chan []byte, window+2),
		readDone: make(chan struct{}),
	}
	w.wctx, w.cancel = context.WithCancel(ctx)
	w.decode = w.newDecoder()
	// With one P, workers would only take turns with the consumer: it
	// decodes every batch itself.
	if procs > 1 {
		w.work = make(chan *batch[T], window)
		for range procs {
			w.workers.Go(w.worker)
		}
	}
	go w.read()
	return w
}

// stop ends the walk's goroutines, and returns once they have exited, except
// for a Read that cannot be stopped while the caller's context is done.
func (w *ndjsonWalk[T]) stop() {
	w.cancel()
	w.mu.Lock()
	w.stopped = true
	inFlight := w.reading
	w.mu.Unlock()
	c, closer := w.src.r.(io.Closer)
	if inFlight && closer {
		c.Close() // the walk is over: nothing to report its error to
	}
	if !inFlight || closer || w.ctx.Err() == nil {
		<-w.readDone
	}
	w.workers.Wait()
}

// run yields the items of the batches in order, and the error that ends the
// walk, if any.
func (w *ndjsonWalk[T]) run(yield func(Page[T], error) bool) {
	for {
		if err := w.ctx.Err(); err != nil {
			yield(Page[T]{}, err)
			return
		}
		var b *batch[T]
		select {
		case b = <-w.pending:
		case <-w.ctx.Done():
			yield(Page[T]{}, w.ctx.Err())
			return
		}
		if b == nil {
			// The reader is done: at the end of the stream, or because
			// the context is done.
			if !w.eof {
				yield(Page[T]{}, w.wctx.Err()) // the caller's ctx.Err()
			}
			return
		}
		if b.claimed.CompareAndSwap(false, true) {
			w.decodeBatch(b, w.decode)
		} else {
			select {
			case <-b.done:
			case <-w.ctx.Done():
				yield(Page[T]{}, w.ctx.Err())
				return
			}
			if b.goexit {
				runtime.Goexit()
			}
			if b.panicV != nil {
				panic(b.panicV)
			}
		}
		if !w.deliver(b, yield) {
			return
		}
	}
}

// deliver yields the items of b and deals with its bad lines, and reports
// whether the walk goes on.
func (w *ndjsonWalk[T]) deliver(b *batch[T], yield func(Page[T], error) bool) bool {
	from := 0
	for _, bad := range b.bad {
		if !w.yieldItems(b.items[from:bad.at], yield) {
			return false
		}
		from = bad.at
		var err error = bad.err
		if !bad.fatal && w.src.cfg.skipBad != nil {
			err = w.src.cfg.skipBad(bad.err)
		}
		if err != nil {
			// A read fails when the context of an HTTP request is done:
			// say so plainly.
			if cerr := w.ctx.Err(); cerr != nil && bad.fatal {
				err = cerr
			}
			yield(Page[T]{}, err)
			return false
		}
	}
	return w.yieldItems(b.items[from:], yield)
}

func (w *ndjsonWalk[T]) yieldItems(items []T, yield func(Page[T], error) bool) bool {
	if len(items) == 0 {
		return true
	}
	p := Page[T]{Items: items, Offset: w.offset}
	w.offset += len(items)
	return yield(p, nil)
}

// worker decodes the batches it claims until the reader is done or the walk
// ends. A panic in the decoder stops it; the consumer raises it again.
func (w *ndjsonWalk[T]) worker() error {
	decode := w.newDecoder()
	for {
		select {
		case b, ok := <-w.work:
			if !ok {
				return nil
			}
			if b.claimed.CompareAndSwap(false, true) && !w.decodeGuarded(b, decode) {
				return nil
			}
		case <-w.wctx.Done():
			return nil
		}
	}
}

// decodeGuarded decodes b on a worker, catching a panic or Goexit of the
// decoder for the consumer to raise again; it reports whether there was none.
func (w *ndjsonWalk[T]) decodeGuarded(b *batch[T], decode func([]byte, *T) error) (ok bool) {
	defer func() {
		if !ok {
			b.panicV = recover()
			b.goexit = b.panicV == nil // recover returns nil only after Goexit
		}
		close(b.done)
	}()
	w.decodeBatch(b, decode)
	return true
}

// decodeBatch decodes the lines of b into b.items, and gives b's buffer back
// for reuse.
func (w *ndjsonWalk[T]) decodeBatch(b *batch[T], decode func([]byte, *T) error) {
	data, line, off := b.data, b.line, b.offset
	if off == 0 && bytes.HasPrefix(data, bom) {
		data, off = data[len(bom):], int64(len(bom))
	}
	skipping := w.src.cfg.skipBad != nil
	maxLine := w.src.cfg.maxLineSize
	b.items = make([]T, b.lines)
	n := 0
	for len(data) > 0 {
		text, rest := data, []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, rest = data[:i], data[i+1:]
		}
		text = bytes.TrimSuffix(text, cr)
		// A line too long is too long even if blank, as the reader, which
		// cannot wait to see, already calls longer ones.
		if long := len(text) > maxLine; long || !blank(text) {
			err := ErrLineTooLong
			if !long {
				err = decode(text, &b.items[n])
			}
			if err == nil {
				n++
			} else {
				var zero T
				b.items[n] = zero
				b.bad = append(b.bad, badLine{at: n, err: &LineError{Line: line, Offset: off, Err: err, Excerpt: excerpt(text)}})
				if !skipping {
					break
				}
			}
		}
		off += int64(len(data) - len(rest))
		data = rest
		line++
	}
	b.items = b.items[:n:n]
	w.recycle(b.data)
	b.data = nil
}

var (
	bom = []byte("\xEF\xBB\xBF")
	cr  = []byte("\r")
)

// blank reports whether line is empty or JSON whitespace.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// excerpt returns the start of line for a LineError, cut at a rune boundary.
func excerpt(line []byte) string {
	if len(line) <= excerptSize {
		return string(line)
	}
	n := excerptSize
	for n > excerptSize-utf8.UTFMax && !utf8.RuneStart(line[n]) {
		n--
	}
	return string(line[:n])
}

// newDecoder returns a decoder for one goroutine's use.
func (w *ndjsonWalk[T]) newDecoder() func([]byte, *T) error {
	if f := w.src.cfg.decode; f != nil {
		return func(line []byte, v *T) error { return f(line, v) }
	}
	return new(jsonLines[T]).decode
}

// recycle gives a read buffer back, unless it grew for a long line: keeping
// it would hold on to that line's memory.
func (w *ndjsonWalk[T]) recycle(buf []byte) {
	if cap(buf) != readSize {
		return
	}
	select {
	case w.free <- buf[:readSize]:
	default:
	}
}

// read runs on the reader goroutine: it reads the stream, cuts it after the
// last line ending of each read, and queues the whole lines as a batch.
func (w *ndjsonWalk[T]) read() {
	defer close(w.readDone)
	defer close(w.pending)
	if w.work != nil {
		defer close(w.work)
	}
	maxLine := w.src.cfg.maxLineSize
	buf, n := w.buffer(), 0 // buf[:n] is the start of line number line, with no "\n" in it
	line, off := 1, int64(0)
	m, err := 0, error(nil) // buf[n:n+m] is new data, and err came after it
	for {
		if m == 0 && err == nil {
			if n == len(buf) {
				buf = grow(buf, maxLine+lineSlack+1)
			}
			if m, err = w.readSome(buf[n:]); m == 0 && err == nil {
				continue
			}
		}
		if i := bytes.LastIndexByte(buf[n:n+m], '\n'); i >= 0 {
			cut := n + i + 1
			b := &batch[T]{data: buf[:cut], lines: bytes.Count(buf[:cut], nl), line: line, offset: off}
			next := w.buffer()
			n = copy(next, buf[cut:n+m])
			if !w.queue(b) {
				return
			}
			buf, line, off = next, line+b.lines, off+int64(cut)
		} else {
			n += m
		}
		m = 0
		switch {
		case err == io.EOF:
			if n > 0 && !w.queue(&batch[T]{data: buf[:n], lines: 1, line: line, offset: off}) {
				return
			}
			w.eof = true
			return
		case err != nil:
			w.fail(line, off, err)
			return
		case n > maxLine+lineSlack:
			lerr := &LineError{Line: line, Offset: off, Err: ErrLineTooLong, Excerpt: excerpt(buf[:n])}
			if off == 0 && bytes.HasPrefix(buf[:n], bom) {
				lerr.Offset, lerr.Excerpt = int64(len(bom)), excerpt(buf[len(bom):n])
			}
			if !w.queueBad(badLine{err: lerr}) || w.src.cfg.skipBad == nil {
				return
			}
			var skipped int
			var found bool
			skipped, m, found, err = w.skipLine(buf)
			if !found {
				if err == io.EOF {
					w.eof = true
				} else {
					w.fail(line, off, err)
				}
				return
			}
			n, line, off = 0, line+1, off+int64(n+skipped)
		}
	}
}

var nl = []byte("\n")

// skipLine reads and drops the rest of a line that is too long, using buf.
// If it finds the line's end, it moves what follows to the front of buf and
// returns how many bytes of the line it dropped, how many bytes follow, and
// the error that came with them; otherwise it returns the read error.
func (w *ndjsonWalk[T]) skipLine(buf []byte) (skipped, m int, found bool, err error) {
	for {
		m, err = w.readSome(buf)
		if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
			return skipped + i + 1, copy(buf, buf[i+1:m]), true, err
		}
		skipped += m
		if err != nil {
			return skipped, 0, false, err
		}
	}
}

// fail queues a read error of the given line, unless the walk is over.
func (w *ndjsonWalk[T]) fail(line int, off int64, err error) {
	if w.wctx.Err() != nil {
		return
	}
	w.queueBad(badLine{err: &LineError{Line: line, Offset: off, Err: fmt.Errorf("pager: reading: %w", err)}, fatal: true})
}

// readSome reads into p, unless the walk is stopped.
func (w *ndjsonWalk[T]) readSome(p []byte) (int, error) {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return 0, context.Canceled
	}
	w.reading = true
	w.mu.Unlock()
	n, err := w.src.r.Read(p)
	w.mu.Lock()
	w.reading = false
	w.mu.Unlock()
	if n < 0 || n > len(p) {
		return 0, fmt.Errorf("pager: the reader returned %d for a buffer of %d bytes", n, len(p))
	}
	if n > 0 || err != nil {
		w.empty = 0
	} else if w.empty++; w.empty == 100 {
		return 0, io.ErrNoProgress // as bufio does
	}
	return n, err
}

// buffer returns a read buffer of readSize bytes.
func (w *ndjsonWalk[T]) buffer() []byte {
	select {
	case buf := <-w.free:
		return buf
	default:
		return make([]byte, readSize)
	}
}

// grow returns buf with its contents and room for more, but no more than
// limit bytes in all.
func grow(buf []byte, limit int) []byte {
	size := min(2*len(buf), max(limit, len(buf)+1))
	bigger := make([]byte, size)
	copy(bigger, buf)
	return bigger
}

// queue hands b to the consumer and the workers, and reports whether the
// walk goes on.
func (w *ndjsonWalk[T]) queue(b *batch[T]) bool {
	b.done = make(chan struct{})
	select {
	case w.pending <- b:
	case <-w.wctx.Done():
		return false
	}
	if w.work == nil {
		return true
	}
	select {
	case w.work <- b:
		return true
	case <-w.wctx.Done():
		return false
	}
}

// queueBad hands the consumer a line that yields no item, and reports
// whether the walk goes on.
func (w *ndjsonWalk[T]) queueBad(bad badLine) bool {
	b := &batch[T]{bad: []badLine{bad}, done: make(chan struct{})}
	b.claimed.Store(true)
	close(b.done)
	select {
	case w.pending <- b:
		return true
	case <-w.wctx.Done():
		return false
	}
}
