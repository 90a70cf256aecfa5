package pager

import (
	"context"
	"fmt"
	"iter"
	"reflect"
)

// PageNumber returns a Source for a page-number listing
// (?page=3&per_page=50). Request.Page is 1 for the first page (or
// [StartPage]) and counts up by one; Request.Limit is [PageSize] clamped to
// [MaxPageSize]. Page.Offset counts items from the start of the walk, or
// from [StartOffset] when given.
//
// The walk ends after a page that is empty, has Last set, or reaches Total
// (when Total > 0); with [StopOnShortPage], also after a page shorter than
// the limit. A fetch function that knows the number of pages should set
// Last on the last one.
//
// Some servers answer a page past the end with their last page again, and
// some ignore the page parameter and answer every page with the first. A
// page whose items are those of the page before it (as by
// [reflect.DeepEqual]) is therefore not yielded, and ends the walk. If the
// page before it was short — fewer items than an earlier page, or than the
// limit if it was the first — it was the last page, answered again: the walk
// ends there, with no error. Otherwise nothing tells the two cases apart,
// and the walk ends with a [*PageError] wrapping [ErrRepeatedPage]: report
// Total or Last to avoid asking past the end.
//
// Every call of Pages starts a new walk. PageNumber panics if fetch is nil
// or given [StartToken].
func PageNumber[T any](fetch FetchFunc[T], opts ...Option) Source[T] {
	if fetch == nil {
		panic("pager: PageNumber with a nil FetchFunc")
	}
	c := newConfig(pageSrc, opts)
	if c.startToken != "" {
		panic("pager: StartToken given to a PageNumber source; use StartPage")
	}
	if r := c.resumed; r != nil && r.Page == 0 && r.Offset+r.Skip > 0 {
		panic(fmt.Sprintf("pager: Resume(%v) given to a PageNumber source: that checkpoint has no page, it is another kind of walk's", *r))
	}
	return &pageSource[T]{fetch: fetch, cfg: c}
}

type pageSource[T any] struct {
	fetch FetchFunc[T]
	cfg   config
}

func (s *pageSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) { pages(s.walk(ctx), yield) }
}

func (s *pageSource[T]) walk(ctx context.Context) walker[T] {
	return &pageWalker[T]{src: s, ctx: ctx, page: s.cfg.startPage, offset: s.cfg.startOffset, skip: s.cfg.skip}
}

func (s *pageSource[T]) kind() walkKind { return byPage }

func (s *pageSource[T]) start() Checkpoint {
	return Checkpoint{Offset: s.cfg.startOffset, Page: s.cfg.startPage, Skip: s.cfg.skip}
}

func (s *pageSource[T]) resume(c Checkpoint) (Source[T], error) {
	if c.Token != "" || c.Page == 0 {
		return nil, fmt.Errorf("pager: checkpoint %v is not a PageNumber walk's", c)
	}
	r := *s
	r.cfg.startOffset, r.cfg.startPage, r.cfg.skip = c.Offset, c.Page, c.Skip
	return &r, nil
}

type pageWalker[T any] struct {
	src     *pageSource[T]
	ctx     context.Context
	page    int // number of the next page
	offset  int // of the next page
	skip    int // items of the next page to drop (Resume)
	prev    []T // items of the page before
	longest int // items on the longest page before prev
	latest  int // the latest Total reported, for the pages that report none
	done    bool
}

func (w *pageWalker[T]) next() (Page[T], error) {
	if w.done {
		return Page[T]{}, errEnd
	}
	w.done = true // until this page proves otherwise
	req := Request{Page: w.page, Limit: w.src.cfg.limit()}
	at := Checkpoint{Offset: w.offset, Page: req.Page, Skip: w.skip}
	p, t, err := fetchTries(w.ctx, &w.src.cfg, w.src.fetch, req, at)
	if err != nil {
		return Page[T]{}, err
	}
	if len(p.Items) == 0 {
		return Page[T]{}, errEnd
	}
	if w.repeats(p.Items) {
		return Page[T]{}, w.repeated(req, t.n)
	}
	if p.Total > 0 {
		w.latest = p.Total
	} else {
		p.Total = w.latest // an API may report it on the first page only
	}
	p.Offset, p.Token = w.offset, ""
	w.offset += len(p.Items)
	w.page++
	w.longest = max(w.longest, len(w.prev))
	w.prev = p.Items
	w.done = isLast(&w.src.cfg, p, w.offset, req.Limit)
	if w.skip > 0 {
		if err := dropDelivered(&p, at, t.n); err != nil {
			w.done = true
			return Page[T]{}, err
		}
		w.skip = 0
		if len(p.Items) == 0 && w.done {
			return Page[T]{}, errEnd // the checkpoint was past the last item
		}
	}
	report(&w.src.cfg, &p, req.Page, t)
	return p, nil
}

// repeats reports whether items are those of the page before.
func (w *pageWalker[T]) repeats(items []T) bool {
	return w.prev != nil && len(items) == len(w.prev) && reflect.DeepEqual(items, w.prev)
}

// repeated ends the walk on a page that repeats the one before: with errEnd
// if the one before was short, and so the last.
func (w *pageWalker[T]) repeated(req Request, attempts int) error {
	full := w.longest
	if full == 0 { // the page before was the first
		full = req.Limit
	}
	if len(w.prev) < full {
		return errEnd
	}
	return pageError(Checkpoint{Offset: w.offset, Page: req.Page}, attempts, fmt.Errorf(
		"%w (page %d): the server ignores the page parameter, or answers past its end with its last page", ErrRepeatedPage, req.Page-1))
}
