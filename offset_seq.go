package pager

import (
	"context"
	"iter"
)

// Offset returns a Source for a limit/offset listing (?limit=50&offset=100).
// Each request asks for [PageSize] items (clamped to [MaxPageSize]) at the
// offset just past the items received so far — never past the limit asked
// for, so a server that returns 37 of 200 loses nothing.
//
// The walk ends after a page that is empty, has Last set, or reaches Total
// (when Total > 0); with [StopOnShortPage], also after a page shorter than
// the limit. It starts at offset 0, or at [StartOffset]; every call of Pages
// starts a new walk there.
//
// Offset panics if fetch is nil or given [StartToken].
func Offset[T any](fetch FetchFunc[T], opts ...Option) Source[T] {
	if fetch == nil {
		panic("pager: Offset with a nil FetchFunc")
	}
	c := newConfig(opts)
	if c.startToken != "" {
		panic("pager: StartToken given to an Offset source; use StartOffset")
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
	return &offsetWalker[T]{src: s, ctx: ctx, offset: s.cfg.startOffset}
}

type offsetWalker[T any] struct {
	src    *offsetSource[T]
	ctx    context.Context
	offset int // of the next page
	done   bool
}

func (w *offsetWalker[T]) next() (Page[T], error) {
	if w.done {
		return Page[T]{}, errEnd
	}
	w.done = true // until this page proves otherwise
	req := Request{Offset: w.offset, Limit: w.src.cfg.limit()}
	p, err := fetch(w.ctx, &w.src.cfg, w.src.fetch, req, req.Offset)
	if err != nil {
		return Page[T]{}, err
	}
	if len(p.Items) == 0 {
		return Page[T]{}, errEnd
	}
	p.Offset, p.Token = req.Offset, ""
	w.offset += len(p.Items)
	w.done = w.src.isLast(p, req.Limit)
	return p, nil
}

// isLast reports whether no page follows p, a page with items fetched with
// the given limit. With the empty page, this is the whole end-of-data rule
// of an Offset walk.
func (s *offsetSource[T]) isLast(p Page[T], limit int) bool {
	end := p.Offset + len(p.Items)
	return p.Last ||
		p.Total > 0 && end >= p.Total ||
		s.cfg.shortEnds && len(p.Items) < limit
}
