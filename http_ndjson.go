package pager

import (
	"context"
	"errors"
	"iter"
	"strconv"
)

// NDJSONStream returns a Source that reads the listing at e as one stream of
// JSON lines, as [NDJSON] reads a reader: the request asks for it with
// Accept: application/x-ndjson (unless e.Header says otherwise), and Page
// offsets count the items from the start of the stream. The request is sent
// when the walk starts. A status other than 2xx ends the walk with a
// [*PageError] wrapping an [*HTTPError]; the body is closed when the walk
// ends, however it ends. e.Items and e's body fields do not apply.
//
// A request that fails before the stream delivered anything is retried as
// the [Retry] policy says. A stream that breaks off after that — a
// connection reset, a line cut short, a server's plain-text error line —
// ends the walk with a *PageError at the offset of the first item not
// received, wrapping the [*LineError]; an error returned by a
// [SkipBadLines] report ends it as is.
//
// If e.OffsetParam names a query parameter that makes the server start the
// stream at an item (?offset=12000), a broken stream is asked for again
// from there instead, as often as the Retry policy allows (the count of
// attempts starts again whenever a stream delivered items), so each item
// still arrives once, in order. A line that does not decode is asked for
// again too, since some servers end a failed stream with a plain-text error
// line; a line that is bad in the data fails the same way each time, and
// the walk ends after the policy's attempts. [StartOffset] starts the first
// request at that parameter too.
//
// NDJSONStream panics if e.URL is not a valid URL, or if given StartOffset
// without e.OffsetParam (the server would stream from its start).
func NDJSONStream[T any](e Endpoint, opts ...Option) Source[T] {
	c := newHTTPClient(e, "NDJSONStream", params{limit: "-", offset: "-"})
	s := &ndjsonStream[T]{c: c, cfg: newConfig(opts), opts: opts}
	if report := s.cfg.skipBad; report != nil {
		// An error from SkipBadLines' report is the caller's word to stop:
		// mark it, so that it is not taken for a broken stream.
		s.opts = append(opts[:len(opts):len(opts)], SkipBadLines(func(e *LineError) error {
			if err := report(e); err != nil {
				return stopped{err}
			}
			return nil
		}))
	}
	if s.cfg.startOffset > 0 && !s.resumable() {
		panic("pager: NDJSONStream with StartOffset but no Endpoint.OffsetParam to send it in")
	}
	return s
}

type ndjsonStream[T any] struct {
	c    *httpClient
	cfg  config
	opts []Option // for the NDJSON source of each response
}

func (s *ndjsonStream[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		offset, attempt := s.cfg.startOffset, 0
		for {
			attempt++
			n, err := s.stream(ctx, offset, yield)
			if err == nil || err == errEnd {
				return // the stream's end, or the loop's
			}
			var stop stopped
			if errors.As(err, &stop) {
				yield(Page[T]{}, stop.err)
				return
			}
			if offset += n; n > 0 {
				attempt = 1
			}
			d, ok := s.cfg.retry.delay(attempt, err)
			// Without an offset parameter, only a stream that delivered
			// nothing yet can be asked for again.
			again := s.resumable() || offset == s.cfg.startOffset
			if !again || errors.Is(err, ErrLineTooLong) || !ok || ctx.Err() != nil || s.cfg.sleep(ctx, d) != nil {
				yield(Page[T]{}, &PageError{Offset: offset, Attempts: attempt, Err: err})
				return
			}
		}
	}
}

// resumable reports whether a broken stream can be asked for again from
// where it broke.
func (s *ndjsonStream[T]) resumable() bool {
	return s.c.e.OffsetParam != "-" && s.c.e.OffsetParam != ""
}

// stream sends one request for the stream from offset and yields its
// pages. It returns how many items it yielded, and the error that broke the
// stream off, or errEnd if the loop body stopped the walk.
func (s *ndjsonStream[T]) stream(ctx context.Context, offset int, yield func(Page[T], error) bool) (int, error) {
	q := s.c.base.Query()
	s.c.set(q, s.c.e.OffsetParam, strconv.Itoa(offset))
	resp, err := s.c.do(ctx, s.c.url(q), "application/x-ndjson")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close() // not drained: the rest of a stream is not worth reading
	n := 0
	for p, err := range NDJSON[T](resp.Body, s.opts...).Pages(ctx) {
		if err != nil {
			return n, err
		}
		p.Offset += offset
		n += len(p.Items)
		if !yield(p, nil) {
			return n, errEnd
		}
	}
	return n, nil
}

// stopped wraps the error with which a SkipBadLines report stopped a walk.
type stopped struct{ err error }

func (s stopped) Error() string { return s.err.Error() }
