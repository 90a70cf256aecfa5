package pager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
)

// NDJSONOpen returns a Source for a stream of JSON lines that open opens,
// such as an HTTP response body: open is called when the walk starts, with
// the offset of the item the stream is to start at (0, or the one set by
// [StartOffset] or [Resume]), and the walk reads what it returns as [NDJSON]
// reads a reader, closing it when the walk ends, however it ends. Page
// offsets count items from the start of the listing.
//
// An error from open is retried as the [Retry] policy says. A stream that
// breaks off — a failed read, a line cut short, a line that does not
// decode, as some servers end a failed stream with a plain-text error line
// — is opened again at the offset of the first item not received, as often
// as the Retry policy allows (the count of attempts starts again whenever a
// stream delivered items), so each item still arrives once, in order. A
// line that is bad in the data fails the same way each time, and the walk
// ends after the policy's attempts. A line over [MaxLineSize] is not asked
// for again. The walk ends with a [*PageError] at the offset of the first
// item not received, wrapping the last error; an error returned by a
// [SkipBadLines] report ends it as is.
//
// A stream that cannot start past its first item says so by returning an
// error wrapping [errors.ErrUnsupported] from open for an offset above 0:
// the walk then ends with the error that broke the stream off.
//
// NDJSONOpen panics if open is nil.
func NDJSONOpen[T any](open func(ctx context.Context, offset int) (io.ReadCloser, error), opts ...Option) Source[T] {
	if open == nil {
		panic("pager: NDJSONOpen with a nil open func")
	}
	s := &ndjsonOpen[T]{open: open, cfg: newStreamConfig("NDJSONOpen", ndjsonOpenSrc, opts)}
	// Each stream is read by an NDJSON source with the reading options.
	s.read = []Option{MaxLineSize(s.cfg.maxLineSize)}
	if s.cfg.decode != nil {
		s.read = append(s.read, DecodeWith(s.cfg.decode))
	}
	if report := s.cfg.skipBad; report != nil {
		// An error from SkipBadLines' report is the caller's word to stop:
		// mark it, so that it is not taken for a broken stream.
		s.read = append(s.read, SkipBadLines(func(e *LineError) error {
			if err := report(e); err != nil {
				return stopped{err}
			}
			return nil
		}))
	}
	return s
}

type ndjsonOpen[T any] struct {
	open func(ctx context.Context, offset int) (io.ReadCloser, error)
	cfg  config
	read []Option // for the NDJSON source of each stream
}

func (s *ndjsonOpen[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		w := &streamWalk[T]{s: s, offset: s.cfg.startOffset + s.cfg.skip}
		attempt := 0
		var broke error // what broke the last stream off, if any
		for {
			attempt++
			n, err := w.stream(ctx, attempt, yield)
			if err == nil || err == errEnd {
				return // the stream's end, or the loop's
			}
			var stop stopped
			if errors.As(err, &stop) {
				yield(Page[T]{}, stop.err)
				return
			}
			final := errors.Is(err, ErrLineTooLong) || errors.Is(err, errors.ErrUnsupported) || errors.Is(err, ErrRepeatedPage)
			if errors.Is(err, errors.ErrUnsupported) && broke != nil {
				err = broke // the stream cannot be asked for from where it broke
			}
			if n > 0 {
				attempt = 1
			}
			broke = err
			d, ok := s.cfg.retry.delay(attempt, err)
			if final || !ok || ctx.Err() != nil || s.cfg.sleep(ctx, d) != nil {
				yield(Page[T]{}, pageError(Checkpoint{Offset: w.offset}, attempt, err))
				return
			}
		}
	}
}

// A streamWalk is one walk of an ndjsonOpen: where it is, and the last
// item it delivered, with which a stream opened again must start.
type streamWalk[T any] struct {
	s      *ndjsonOpen[T]
	offset int // of the next item to deliver
	last   *T  // the item at offset-1, if this walk delivered it
}

// The methods of resumable: an NDJSONOpen walk resumes at an offset, so
// that [AllFrom] keeps its checkpoints.

func (s *ndjsonOpen[T]) kind() walkKind { return byOffset }

func (s *ndjsonOpen[T]) start() Checkpoint {
	return Checkpoint{Offset: s.cfg.startOffset + s.cfg.skip}
}

func (s *ndjsonOpen[T]) resume(c Checkpoint) (Source[T], error) {
	if c.Token != "" || c.Page != 0 {
		return nil, fmt.Errorf("pager: checkpoint %v is not a stream's", c)
	}
	r := *s
	r.cfg.startOffset, r.cfg.skip = c.Offset+c.Skip, 0
	return &r, nil
}

// stream opens the stream at the walk's offset and yields its pages. It
// returns how many items it yielded, and the error that broke the stream
// off, or errEnd if the loop body stopped the walk.
//
// A stream opened again after one broke off starts one item early, at the
// last item delivered: if it does not hold that item, the server did not
// start where it was asked to (it ignores the offset), and the walk ends
// with an error wrapping [ErrRepeatedPage] rather than deliver items twice.
func (w *streamWalk[T]) stream(ctx context.Context, attempt int, yield func(Page[T], error) bool) (int, error) {
	from, check := w.offset, w.last
	if check != nil {
		from--
	}
	r, err := w.s.open(ctx, from)
	if err != nil {
		return 0, err
	}
	if r == nil {
		return 0, errors.New("pager: NDJSONOpen's open func returned no stream and no error")
	}
	defer r.Close()
	n := 0
	for p, err := range NDJSON[T](r, w.s.read...).Pages(ctx) {
		if err != nil {
			return n, err
		}
		p.Offset += from
		if check != nil && len(p.Items) > 0 {
			if !reflect.DeepEqual(p.Items[0], *check) {
				return n, fmt.Errorf("%w: the stream opened again at item %d does not start with the item delivered there: the server ignores the offset asked for", ErrRepeatedPage, from)
			}
			check, p.Items, p.Offset = nil, p.Items[1:], p.Offset+1
			if len(p.Items) == 0 {
				continue
			}
		}
		n += len(p.Items)
		w.offset += len(p.Items)
		last := p.Items[len(p.Items)-1]
		w.last = &last
		report(&w.s.cfg, &p, 0, tries{n: attempt})
		attempt = 1 // the stream's later blocks took no tries of their own
		if !yield(p, nil) {
			return n, errEnd
		}
	}
	return n, nil
}

// stopped wraps the error with which a SkipBadLines report stopped a walk.
type stopped struct{ err error }

func (s stopped) Error() string { return s.err.Error() }

// newStreamConfig is newConfig for a stream of items, which resumes at an
// offset: it panics if given a Token or PageNumber walk's checkpoint.
func newStreamConfig(name string, kind sources, opts []Option) config {
	c := newConfig(kind, opts)
	if c.startToken != "" || c.startPage != 1 {
		panic(fmt.Sprintf("pager: a Token or PageNumber walk's checkpoint given to %s: a stream resumes at an offset", name))
	}
	return c
}

// dropFirst returns yield for a walk whose first n items were delivered
// before it: it drops them, and the pages left empty.
func dropFirst[T any](n int, yield func(Page[T], error) bool) func(Page[T], error) bool {
	if n == 0 {
		return yield
	}
	return func(p Page[T], err error) bool {
		if err == nil && n > 0 {
			k := min(n, len(p.Items))
			n -= k
			if p.Items, p.Offset = p.Items[k:], p.Offset+k; len(p.Items) == 0 {
				return true
			}
		}
		return yield(p, err)
	}
}
