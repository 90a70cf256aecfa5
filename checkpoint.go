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
// and none skipped. [Track] keeps one up to date as it yields items.
//
// For an Offset walk, Offset is the position of the next item and Skip is
// 0. For a Token walk, Token is the token of the page that holds the next
// item, Offset is the position of that page's first item, and Skip is how
// many of the page's items were already delivered.
//
// A Checkpoint marshals to JSON as an object, and to text (its String) as a
// URL query such as "offset=100&skip=3&token=v1.QnVp", for a file or a
// database column.
type Checkpoint struct {
	Offset int    `json:"offset"`
	Token  string `json:"token,omitempty"`
	Skip   int    `json:"skip,omitempty"`
}

// String returns the checkpoint as text, as MarshalText does.
func (c Checkpoint) String() string {
	v := url.Values{"offset": {strconv.Itoa(c.Offset)}}
	if c.Token != "" {
		v.Set("token", c.Token)
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
	for key, dst := range map[string]*int{"offset": &n.Offset, "skip": &n.Skip} {
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
	if n.Offset < 0 || n.Skip < 0 {
		return fmt.Errorf("pager: checkpoint %s: negative offset or skip", data)
	}
	*c = Checkpoint(n)
	return nil
}

// Resume starts a walk at checkpoint c: an Offset walk at c.Offset+c.Skip;
// a Token walk at the page of token c.Token, whose first c.Skip items are
// dropped (that page is expected to hold at least that many, as it did
// when the checkpoint was taken).
func Resume(c Checkpoint) Option {
	if c.Offset < 0 || c.Skip < 0 {
		panic("pager: Resume from a checkpoint with a negative offset or skip")
	}
	return optionFunc(func(cfg *config) {
		cfg.startOffset, cfg.startToken, cfg.skip = c.Offset, c.Token, c.Skip
	})
}

// resumable is a Source that can start over from a checkpoint.
type resumable[T any] interface {
	// resume returns the source started at c, or an error if c cannot be
	// a checkpoint of this source.
	resume(c Checkpoint) (Source[T], error)
	// byToken reports whether the source walks by token.
	byToken() bool
}

// Track is [All] for a walk that must survive a crash. It starts src's walk
// at *cp — or, if *cp is the zero Checkpoint, where src starts — and before
// it yields each item it sets *cp to the place just after it. Save *cp once
// the item is processed: a walk tracked from the saved value yields the
// next item, having repeated and skipped none.
//
// Track panics if cp is nil or src is neither an Offset or Token source nor
// a [Prefetch] of one.
func Track[T any](ctx context.Context, src Source[T], cp *Checkpoint) iter.Seq2[T, error] {
	r, ok := src.(resumable[T])
	if !ok || cp == nil {
		panic("pager: Track needs an Offset or Token source (or a Prefetch of one) and a *Checkpoint")
	}
	return func(yield func(T, error) bool) {
		start, walk := *cp, src
		if start != (Checkpoint{}) {
			var err error
			if walk, err = r.resume(start); err != nil {
				var zero T
				yield(zero, err)
				return
			}
		}
		first := true
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
				*cp = after(p, r.byToken(), pageStart, i)
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

// after returns the checkpoint just after p.Items[i], where p's first item
// (before any were dropped on a resume) is at pageStart.
func after[T any](p Page[T], byToken bool, pageStart, i int) Checkpoint {
	next := p.Offset + i + 1
	switch {
	case !byToken:
		return Checkpoint{Offset: next}
	case i == len(p.Items)-1 && p.Next != "":
		return Checkpoint{Offset: next, Token: p.Next} // the next page, from its start
	default:
		return Checkpoint{Offset: pageStart, Token: p.Token, Skip: next - pageStart}
	}
}
