package pager

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// A Checkpoint is a place in a walk between two items, from which a walk
// can resume — in another process, after a crash — with no item repeated
// and none skipped. [AllFrom] keeps one up to date as it yields items.
//
// For an Offset walk, Offset is the position of the next item and Skip is
// 0. For a Token walk, Token is the token of the page that holds the next
// item, Offset is the position of that page's first item, and Skip is how
// many of the page's items were already delivered. A PageNumber walk's is
// the same with the page's number, Page, in place of its token.
//
// A Checkpoint marshals to JSON as an object, and to text (its String) as a
// URL query such as "offset=100&skip=3&token=v1.QnVp", for a file or a
// database column.
type Checkpoint struct {
	Offset int    `json:"offset"`
	Token  string `json:"token,omitempty"`
	Page   int    `json:"page,omitempty"`
	Skip   int    `json:"skip,omitempty"`
}

// String returns the checkpoint as text, as MarshalText does.
func (c Checkpoint) String() string {
	v := url.Values{"offset": {strconv.Itoa(c.Offset)}}
	if c.Token != "" {
		v.Set("token", c.Token)
	}
	if c.Page != 0 {
		v.Set("page", strconv.Itoa(c.Page))
	}
	if c.Skip != 0 {
		v.Set("skip", strconv.Itoa(c.Skip))
	}
	return v.Encode()
}

// MarshalText implements [encoding.TextMarshaler].
func (c Checkpoint) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (c *Checkpoint) UnmarshalText(text []byte) error {
	v, err := url.ParseQuery(string(text))
	if err != nil {
		return fmt.Errorf("pager: checkpoint %q: %w", text, err)
	}
	var n Checkpoint
	n.Token = v.Get("token")
	for key, dst := range map[string]*int{"offset": &n.Offset, "page": &n.Page, "skip": &n.Skip} {
		if s := v.Get(key); s != "" {
			if *dst, err = strconv.Atoi(s); err != nil || *dst < 0 {
				return fmt.Errorf("pager: checkpoint %q: bad %s %q", text, key, s)
			}
		}
	}
	*c = n
	return nil
}

// checkpointJSON is a Checkpoint without its text methods, which
// encoding/json would otherwise prefer over the object form.
type checkpointJSON Checkpoint

// MarshalJSON implements [json.Marshaler].
func (c Checkpoint) MarshalJSON() ([]byte, error) { return json.Marshal(checkpointJSON(c)) }

// UnmarshalJSON implements [json.Unmarshaler].
func (c *Checkpoint) UnmarshalJSON(data []byte) error {
	var n checkpointJSON
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("pager: checkpoint: %w", err)
	}
	if n.Offset < 0 || n.Page < 0 || n.Skip < 0 {
		return fmt.Errorf("pager: checkpoint %s: negative offset, page or skip", data)
	}
	*c = Checkpoint(n)
	return nil
}

// Resume starts a walk at checkpoint c: an Offset walk at c.Offset+c.Skip;
// a Token walk at the page of token c.Token, a PageNumber walk at page
// c.Page, whose first c.Skip items are dropped (that page is expected to
// hold at least that many, as it did when the checkpoint was taken).
func Resume(c Checkpoint) Option {
	if c.Offset < 0 || c.Page < 0 || c.Skip < 0 {
		panic("pager: Resume from a checkpoint with a negative offset, page or skip")
	}
	return option{"Resume", fetchSrcs | ndjsonSrc | ndjsonOpenSrc, func(cfg *config) {
		cfg.startOffset, cfg.startToken, cfg.skip, cfg.resumed = c.Offset, c.Token, c.Skip, &c
		if c.Page > 0 {
			cfg.startPage = c.Page
		}
	}}
}

// dropDelivered drops the first skip items of p, the first page of a walk
// resumed from checkpoint at, or returns the error that says it cannot.
func dropDelivered[T any](p *Page[T], at Checkpoint, attempts int) error {
	if len(p.Items) < at.Skip {
		return pageError(at, attempts, fmt.Errorf(
			"pager: resumed page has %d items, fewer than the %d its checkpoint says were delivered: the listing or the page size changed", len(p.Items), at.Skip))
	}
	p.Items, p.Offset = p.Items[at.Skip:], p.Offset+at.Skip
	return nil
}

// resumable is a Source that can start over from a checkpoint.
type resumable[T any] interface {
	// resume returns the source started at c, or an error if c cannot be
	// a checkpoint of this source.
	resume(c Checkpoint) (Source[T], error)
	// start returns the checkpoint where the source starts.
	start() Checkpoint
	// kind says how the source walks.
	kind() walkKind
}

// walkKind is how a source walks: what its checkpoints hold.
type walkKind int

const (
	byOffset walkKind = iota
	byToken
	byPage
)

// AllFrom is [All] for a walk that must survive a crash. It starts src's walk
// at *cp — or, if *cp is the zero Checkpoint, where src starts — and before
// it yields each item it sets *cp to the place just after it. Save *cp once
// the item is processed: a walk tracked from the saved value yields the
// next item, having repeated and skipped none.
//
// AllFrom panics if cp is nil or src is neither an Offset, Token or
// PageNumber source nor a [Prefetch] of one. A source of another type that
// wraps one of those cannot be resumed through the wrapper, since what it
// does to the pages is unknown: resume the inner source with AllFrom, and
// apply the wrapper's work to the items it yields.
func AllFrom[T any](ctx context.Context, src Source[T], cp *Checkpoint) iter.Seq2[T, error] {
	if cp == nil {
		panic("pager: AllFrom with a nil *Checkpoint")
	}
	r, ok := src.(resumable[T])
	if !ok {
		panic(fmt.Sprintf("pager: AllFrom of a %T: only an Offset, Token or PageNumber source, or a Prefetch of one, keeps checkpoints", src))
	}
	return func(yield func(T, error) bool) {
		start := *cp
		if start == (Checkpoint{}) {
			start = r.start()
		}
		walk, err := r.resume(start)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		kind := r.kind()
		first, page := true, start.Page
		for p, err := range walk.Pages(ctx) {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			pageStart := p.Offset
			if first {
				pageStart -= start.Skip // the resumed page, whose first items were dropped
				first = false
			}
			for i, v := range p.Items {
				*cp = after(kind, p, page, pageStart, i)
				if !yield(v, nil) {
					return
				}
			}
			page++
		}
	}
}

// after returns the checkpoint just after p.Items[i] in a walk of the given
// kind, where p is page number page (PageNumber walks) and its first item
// (before any were dropped on a resume) is at pageStart.
func after[T any](kind walkKind, p Page[T], page, pageStart, i int) Checkpoint {
	next := p.Offset + i + 1
	last := i == len(p.Items)-1
	switch {
	case kind == byOffset:
		return Checkpoint{Offset: next}
	case kind == byPage && last:
		return Checkpoint{Offset: next, Page: page + 1} // the next page, from its start
	case kind == byPage:
		return Checkpoint{Offset: pageStart, Page: page, Skip: next - pageStart}
	case last && p.Next != "":
		return Checkpoint{Offset: next, Token: p.Next}
	default:
		return Checkpoint{Offset: pageStart, Token: p.Token, Skip: next - pageStart}
	}
}
