package pager

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"runtime"
	"sync/atomic"

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
// (or one read, below, if more) have been read, not after reading all of
// it.
//
// A line that does not decode, that holds more than one value, or that the
// end of the stream cuts short ends the walk with a *LineError that says
// which line and wraps the decoder's error; a failed read ends it with a
// *LineError wrapping the reader's error. [SkipBadLines] skips bad lines,
// and reports them, instead.
//
// The walk reads r on the goroutine that ranges over it, as a
// [bufio.Scanner] does: only when the loop has had every line read so far,
// so a slow stream's lines are yielded as they come. It never closes r
// (whatever opened r closes it), and nothing reads r once the range
// statement has returned, so a break returns at once. A Read that blocks
// blocks the loop. ([Prefetch] reads ahead on a goroutine of its own, and
// waits for a Read in flight when the loop ends.) A done
// context ends the walk with ctx.Err() when the Read in progress returns;
// it does not interrupt that Read.
//
// Each read asks for up to 128 KiB for each goroutine that decodes (below),
// so that with short lines the walk holds at most 1 MiB read ahead of the
// loop body, and with long ones the longest line and 1 MiB. It reads into
// one buffer, grown to the longest line and kept for the walk (up to
// 16 MiB). Each page holds the items of a run of whole lines of one read, in
// order, without empty pages; Page.Offset counts items from the start of
// the stream.
//
// With GOMAXPROCS above 1, the lines of a read are split into up to
// GOMAXPROCS runs (8 at most, none under 16 KiB), decoded at the same time:
// the first on the walk's goroutine, the others on goroutines that have
// exited before any item of the read is yielded. No goroutine of the walk
// runs while the loop body does. A panic in the decoder is raised again on
// the goroutine ranging over the walk.
//
// The source reads r once: a second walk yields only an error.
//
// NDJSON panics if r is nil.
func NDJSON[T any](r io.Reader, opts ...Option) Source[T] {
	if r == nil {
		panic("pager: NDJSON with a nil io.Reader")
	}
	return &ndjsonSource[T]{r: r, cfg: newStreamConfig("NDJSON", ndjsonSrc, opts)}
}

// errWalkedTwice ends a second walk of an NDJSON source.
var errWalkedTwice = errors.New("pager: NDJSON source walked twice: it reads its reader once")

const (
	maxWorkers = 8         // goroutines decoding a read, the walk's own included
	readSize   = 128 << 10 // bytes asked of the reader at a time, per goroutine decoding
	minPart    = 16 << 10  // the least a goroutine is given to decode
	keepMax    = 16 << 20  // the largest read buffer kept for the rest of a walk

	// lineSlack is how far past MaxLineSize an unfinished line may run
	// before the reader calls it too long: a "\r" and a byte-order mark do
	// not count, and the decoding side checks whole lines exactly.
	lineSlack = 4
)

type ndjsonSource[T any] struct {
	r    io.Reader
	cfg  config
	used atomic.Bool
}

func (s *ndjsonSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		if s.used.Swap(true) {
			yield(Page[T]{}, errWalkedTwice)
			return
		}
		procs := min(runtime.GOMAXPROCS(0), maxWorkers)
		w := &ndjsonWalk[T]{src: s, decoders: make([]func([]byte, *T) error, procs)}
		w.lines = lineReader{r: s.r, ctx: ctx, maxLine: s.cfg.maxLineSize, skip: s.cfg.skipBad != nil, readSize: procs * readSize, line: 1}
		// A resumed walk reads the items before its checkpoint again, and
		// drops them.
		w.run(ctx, dropFirst(s.cfg.startOffset+s.cfg.skip, yield))
	}
}

// ndjsonWalk is one walk of an ndjsonSource. Its goroutine (the one ranging
// over the walk) reads the stream a run of whole lines at a time, splits the
// run into parts, has them decoded, and yields their items.
type ndjsonWalk[T any] struct {
	src      *ndjsonSource[T]
	lines    lineReader
	parts    []part[T]                // of the run being yielded
	decoders []func([]byte, *T) error // one for each part; made on first use
	offset   int                      // of the next item to yield
}

// A part is a run of whole lines, and then what decoding them gave.
type part[T any] struct {
	data   []byte // whole lines; at the end of the stream the last may lack "\n"
	lines  int    // number of lines in data
	line   int    // number of the first line
	offset int64  // of the first line in the stream

	items  []T
	bad    []badLine // in stream order; at most one unless lines are skipped
	panicV any       // the decoder panicked with panicV on a worker…
	goexit bool      // …or called runtime.Goexit there
}

// A badLine is a line that yielded no item.
type badLine struct {
	at    int // the number of items before it in the part
	err   *LineError
	fatal bool // a read error: no skipping it
}

// run yields the items of the stream's lines in order, and the error that
// ends the walk, if any.
func (w *ndjsonWalk[T]) run(ctx context.Context, yield func(Page[T], error) bool) {
	for {
		c, err := w.lines.next()
		if cerr := ctx.Err(); cerr != nil {
			// Whatever the read gave, and a read fails when the context
			// of an HTTP request is done: say so plainly.
			yield(Page[T]{}, cerr)
			return
		}
		switch err := err.(type) {
		case nil:
			w.decode(w.split(c))
		case *LineError:
			bad := badLine{err: err, fatal: err.Err != ErrLineTooLong}
			w.parts = append(w.parts[:0], part[T]{bad: []badLine{bad}})
		default: // io.EOF
			return
		}
		for i := range w.parts {
			if !w.deliver(&w.parts[i], yield) {
				return
			}
		}
	}
}

// split cuts the lines of c into up to one part for each decoder, of
// minPart bytes or more, into w.parts.
func (w *ndjsonWalk[T]) split(c chunk) []part[T] {
	parts := w.parts[:0]
	data, line, off := c.data, c.line, c.off
	for k := min(len(w.decoders), max(1, len(data)/minPart)); k > 0 && len(data) > 0; k-- {
		end := len(data)
		if i := bytes.IndexByte(data[len(data)/k:], '\n'); k > 1 && i >= 0 {
			end = len(data)/k + i + 1
		}
		lines := bytes.Count(data[:end], nl)
		if data[end-1] != '\n' {
			lines++ // the last line of the stream
		}
		parts = append(parts, part[T]{data: data[:end], lines: lines, line: line, offset: off})
		data, line, off = data[end:], line+lines, off+int64(end)
	}
	w.parts = parts
	return parts
}

// decode decodes the parts, the first on the walk's goroutine and each of
// the others on a goroutine of its own, and returns once all are decoded.
func (w *ndjsonWalk[T]) decode(parts []part[T]) {
	for i := range parts {
		if w.decoders[i] == nil {
			w.decoders[i] = w.newDecoder()
		}
	}
	func() {
		var g errgroup.Group
		defer g.Wait() // even if the decoder panics here
		for i := 1; i < len(parts); i++ {
			g.Go(func() error {
				w.decodeGuarded(&parts[i], w.decoders[i])
				return nil
			})
		}
		w.decodePart(&parts[0], w.decoders[0])
	}()
	for i := range parts {
		if parts[i].goexit {
			runtime.Goexit()
		}
		if v := parts[i].panicV; v != nil {
			// The decoder is the caller's code: its panic belongs on the
			// caller's goroutine, not on a worker the caller cannot see,
			// where it would end the program.
			panic(v)
		}
	}
}

// decodeGuarded decodes p on a worker, catching a panic or Goexit of the
// decoder for the walk's goroutine to raise again.
func (w *ndjsonWalk[T]) decodeGuarded(p *part[T], decode func([]byte, *T) error) {
	ok := false
	defer func() {
		if !ok {
			p.panicV = recover()
			p.goexit = p.panicV == nil // recover returns nil only after Goexit
		}
	}()
	w.decodePart(p, decode)
	ok = true
}

// deliver yields the items of p and deals with its bad lines, and reports
// whether the walk goes on.
func (w *ndjsonWalk[T]) deliver(p *part[T], yield func(Page[T], error) bool) bool {
	from := 0
	for _, bad := range p.bad {
		if !w.yieldItems(p.items[from:bad.at], yield) {
			return false
		}
		from = bad.at
		var err error = bad.err
		if !bad.fatal && w.src.cfg.skipBad != nil {
			err = w.src.cfg.skipBad(bad.err)
		}
		if err != nil {
			yield(Page[T]{}, err)
			return false
		}
	}
	return w.yieldItems(p.items[from:], yield)
}

func (w *ndjsonWalk[T]) yieldItems(items []T, yield func(Page[T], error) bool) bool {
	if len(items) == 0 {
		return true
	}
	p := Page[T]{Items: items, Offset: w.offset}
	w.offset += len(items)
	return yield(p, nil)
}
