package pager

import (
	"context"
	"fmt"
	"hash/maphash"
	"iter"
)

// Token returns a Source for a cursor listing (?pageToken=…&pageSize=…). The
// first request carries Token "" (or [StartToken]), each later one the
// previous page's Next; the walk ends after a page whose Next is "". Pages
// may be shorter or longer than [PageSize], or empty while Next is not:
// empty pages are walked through.
//
// A Next that this walk has already used would fetch the same pages again,
// forever; the walk ends instead with a [*PageError] wrapping
// [ErrRepeatedToken], after yielding the page that carried it. To keep
// memory small on walks of millions of pages, used tokens are remembered as
// 64-bit hashes under a per-walk random seed: a false alarm takes a
// collision, about 3 chances in 10^8 on a walk of a million pages.
//
// After [MaxEmptyPages] empty pages in a row (100 by default), the walk
// ends with a [*PageError] wrapping [ErrNoProgress], after yielding the
// last of them; its Token resumes the walk.
//
// Page.Offset counts items from the start of the walk, or from
// [StartOffset] when given. Every call of Pages starts a new walk.
//
// Token panics if fetch is nil.
func Token[T any](fetch FetchFunc[T], opts ...Option) Source[T] {
	if fetch == nil {
		panic("pager: Token with a nil FetchFunc")
	}
	c := newConfig(tokenSrc, opts)
	if r := c.resumed; r != nil && r.Page != 0 {
		panic(fmt.Sprintf("pager: Resume(%v) given to a Token source: that checkpoint is a PageNumber walk's", *r))
	}
	return &tokenSource[T]{fetch: fetch, cfg: c}
}

type tokenSource[T any] struct {
	fetch FetchFunc[T]
	cfg   config
}

func (s *tokenSource[T]) Pages(ctx context.Context) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) { pages(s.walk(ctx), yield) }
}

func (s *tokenSource[T]) walk(ctx context.Context) walker[T] {
	w := &tokenWalker[T]{
		src:    s,
		ctx:    ctx,
		token:  s.cfg.startToken,
		offset: s.cfg.startOffset,
		skip:   s.cfg.skip,
		seed:   maphash.MakeSeed(),
	}
	w.use(w.token)
	return w
}

type tokenWalker[T any] struct {
	src    *tokenSource[T]
	ctx    context.Context
	token  string // of the next page
	offset int    // of the next page
	skip   int    // items of the next page to drop (Resume)
	seed   maphash.Seed
	used   hashSet // hashes of the tokens fetched with
	empty  int     // empty pages in a row
	err    error   // to return from the next call: the walk has ended
	done   bool
}

func (w *tokenWalker[T]) next() (Page[T], error) {
	switch {
	case w.err != nil:
		err := w.err
		w.err, w.done = nil, true
		return Page[T]{}, err
	case w.done:
		return Page[T]{}, errEnd
	}
	w.done = true // until this page proves otherwise
	req := Request{Token: w.token, Limit: w.src.cfg.limit()}
	at := Checkpoint{Offset: w.offset, Token: req.Token, Skip: w.skip}
	p, t, err := fetchTries(w.ctx, &w.src.cfg, w.src.fetch, req, at)
	if err != nil {
		return Page[T]{}, err
	}
	p.Offset, p.Token = w.offset, req.Token
	w.offset += len(p.Items)
	if w.skip > 0 {
		if err := dropDelivered(&p, at, t.n); err != nil {
			return Page[T]{}, err
		}
		w.skip = 0
	}
	if p.Next == "" && len(p.Items) == 0 {
		return Page[T]{}, errEnd
	}
	report(&w.src.cfg, &p, 0, t)
	if p.Next == "" {
		return p, nil
	}
	w.empty++
	if len(p.Items) > 0 {
		w.empty = 0
	}
	switch {
	case !w.use(p.Next):
		w.err = pageError(Checkpoint{Offset: w.offset, Token: p.Next}, 0, fmt.Errorf("%w (from the page at offset %d)", ErrRepeatedToken, p.Offset))
	case w.src.cfg.maxEmpty > 0 && w.empty >= w.src.cfg.maxEmpty:
		w.err = pageError(Checkpoint{Offset: w.offset, Token: p.Next}, 0, fmt.Errorf("%w: %d (MaxEmptyPages)", ErrNoProgress, w.empty))
	}
	w.token, w.done = p.Next, false
	return p, nil
}

func (s *tokenSource[T]) kind() walkKind { return byToken }

func (s *tokenSource[T]) start() Checkpoint {
	return Checkpoint{Offset: s.cfg.startOffset, Token: s.cfg.startToken, Skip: s.cfg.skip}
}

func (s *tokenSource[T]) resume(c Checkpoint) (Source[T], error) {
	if c.Page != 0 {
		return nil, fmt.Errorf("pager: checkpoint %v is a PageNumber walk's, not a Token walk's", c)
	}
	r := *s
	r.cfg.startOffset, r.cfg.startToken, r.cfg.skip = c.Offset, c.Token, c.Skip
	return &r, nil
}

// use records tok as used, and reports whether it was new.
func (w *tokenWalker[T]) use(tok string) bool {
	return w.used.add(maphash.String(w.seed, tok))
}

// hashSet is a set of 64-bit hashes, in an open-addressed table with
// linear probing: half the memory of a map[uint64]struct{}, and faster,
// since the hashes are already uniform.
type hashSet struct {
	slots []uint64 // 0: empty; a hash of 0 is kept as 1
	n     int
}

// add adds h to the set and reports whether it was not there yet.
func (s *hashSet) add(h uint64) bool {
	h = max(h, 1)
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return true
		case h:
			return false
		}
	}
}

// grow doubles the table, keeping it at most half full.
func (s *hashSet) grow() {
	old := s.slots
	s.slots, s.n = make([]uint64, max(64, 2*len(old))), 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}
