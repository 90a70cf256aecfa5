package pager

import (
	"context"
	"fmt"
	"iter"

	"github.com/pagerseq/pager/internal/walkid"
)

// Offset returns a Source for a limit/offset listing (?limit=50&offset=100).
// Each request asks for [PageSize] items (clamped to [MaxPageSize]) at the
// offset just past the items received so far — never past the limit asked
// for, so a server that returns 37 of 200 loses nothing.
//
// The walk ends after a page that is empty, has Last set, or reaches Total
// (when Total > 0); with [StopOnShortPage], also after a page shorter than
// the limit; with [EndOffset], at its bound. It starts at offset 0, or at
// [StartOffset]; every call of Pages starts a new walk there.
//
// Offset panics if fetch is nil, if it is given [StartToken], or if it
// would start past its [EndOffset].
func Offset[T any](fetch FetchFunc[T], opts ...Option) Source[T] {
	if fetch == nil {
		panic("pager: Offset with a nil FetchFunc")
	}
	c := newConfig(offsetSrc, opts)
	if c.startToken != "" {
		panic("pager: StartToken (or a Token walk's checkpoint) given to an Offset source")
	}
	if start := c.startOffset + c.skip; c.bounded && start > c.endOffset {
		panic(fmt.Sprintf("pager: Offset source starts at %d, past its EndOffset(%d)", start, c.endOffset))
	}
	return &offsetSource[T]{fetch: fetch, cfg: c}
}

type offsetSource[T any] struct {
	fetch FetchFunc[T]
	cfg   config
}

func (s *offsetSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) { pages(s.walk(ctx), yield) }
}

func (s *offsetSource[T]) walk(ctx context.Context) walker[T] {
	w := &offsetWalker[T]{src: s, offset: s.cfg.startOffset + s.cfg.skip}
	// The walk's identity, for a FetchFunc that tells walks apart
	// (pagerhttp.OffsetFetch).
	w.ctx = walkid.With(ctx, w)
	w.done = s.cfg.bounded && w.offset >= s.cfg.endOffset // an empty range: nothing to fetch
	return w
}

func (s *offsetSource[T]) kind() walkKind { return byOffset }

func (s *offsetSource[T]) start() Checkpoint {
	return Checkpoint{Offset: s.cfg.startOffset + s.cfg.skip}
}

func (s *offsetSource[T]) resume(c Checkpoint) (Source[T], error) {
	if c.Token != "" || c.Page != 0 {
		return nil, fmt.Errorf("pager: checkpoint %v is not an Offset walk's", c)
	}
	if s.cfg.bounded && c.Offset+c.Skip > s.cfg.endOffset {
		return nil, fmt.Errorf("pager: checkpoint %v is past the walk's EndOffset(%d)", c, s.cfg.endOffset)
	}
	r := *s
	r.cfg.startOffset, r.cfg.skip = c.Offset+c.Skip, 0
	return &r, nil
}

type offsetWalker[T any] struct {
	src    *offsetSource[T]
	ctx    context.Context
	offset int // of the next page
	total  int // the first Total reported; 0: none yet
	latest int // the latest Total reported, for the pages that report none
	done   bool
}

func (w *offsetWalker[T]) next() (Page[T], error) {
	if w.done {
		return Page[T]{}, errEnd
	}
	req := w.request()
	p, t, err := fetchTries(w.ctx, &w.src.cfg, w.src.fetch, req, Checkpoint{Offset: req.Offset})
	return w.take(req, p, t, err)
}

// request returns the request for the walk's next page.
func (w *offsetWalker[T]) request() Request {
	req, _ := w.requestAt(w.offset)
	return req
}

// requestAt returns the request for a page at offset off: the limit, less
// any items past EndOffset. It reports false if off is at or past
// EndOffset, where no page is asked for. [Prefetch] asks it for the pages
// it guesses.
func (w *offsetWalker[T]) requestAt(off int) (Request, bool) {
	c := &w.src.cfg
	limit := c.limit()
	if c.bounded {
		if off >= c.endOffset {
			return Request{}, false
		}
		limit = min(limit, c.endOffset-off)
	}
	return Request{Offset: off, Limit: limit}, true
}

// take moves the walk past the answer (p, err) to req, the request for its
// next page, which took t, and returns what next returns for it.
// [Prefetch] fetches pages ahead, and hands their answers to take in order.
func (w *offsetWalker[T]) take(req Request, p Page[T], t tries, err error) (Page[T], error) {
	w.done = true // until this page proves otherwise
	if err != nil {
		return Page[T]{}, err
	}
	if len(p.Items) == 0 {
		return Page[T]{}, errEnd
	}
	if err := w.checkTotal(p.Total); err != nil {
		return Page[T]{}, pageError(Checkpoint{Offset: req.Offset}, t.n, err)
	}
	if p.Total > 0 {
		w.latest = p.Total
	} else {
		p.Total = w.latest // an API may report it on the first page only
	}
	if c := &w.src.cfg; c.bounded && req.Offset+len(p.Items) > c.endOffset {
		p.Items = p.Items[:c.endOffset-req.Offset] // a server that answered more than asked
	}
	p.Offset, p.Token = req.Offset, ""
	w.offset += len(p.Items)
	w.done = isLast(&w.src.cfg, p, w.offset, req.Limit)
	report(&w.src.cfg, &p, 0, t)
	return p, nil
}

// checkTotal returns an error if the walk is strict about Total and total
// differs from the first one reported.
func (w *offsetWalker[T]) checkTotal(total int) error {
	switch {
	case total <= 0:
	case w.total == 0:
		w.total = total
	case total != w.total && w.src.cfg.strictTotal:
		return fmt.Errorf("%w: from %d to %d", ErrTotalChanged, w.total, total)
	}
	return nil
}

// isLast reports whether no page follows p, a page with items that ends at
// position end of the listing and was fetched with the given limit. With
// "an empty page ends the walk", this is the whole end-of-data rule of
// Offset and PageNumber walks.
func isLast[T any](c *config, p Page[T], end, limit int) bool {
	return p.Last ||
		p.Total > 0 && end >= p.Total ||
		c.bounded && end >= c.endOffset ||
		c.shortEnds && len(p.Items) < limit
}
