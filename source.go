package pager

import (
	"context"
	"errors"
	"iter"
)

// Request is what a [FetchFunc] is asked for.
type Request struct {
	Offset int    // Offset sources: items to skip
	Token  string // Token sources: "" for the first page, then the previous page's Next
	Limit  int    // the page size to ask the server for (after clamping)
	Page   int    // PageNumber sources: the number of the page, from 1 (or StartPage)
}

// Page is one page of a listing. A [FetchFunc] fills Items and whichever of
// Next, Total and Last the server reports; the source fills Offset and Token
// before yielding it.
type Page[T any] struct {
	Items  []T
	Next   string // Token sources: token of the following page; "" = last page
	Total  int    // Offset sources: total items across all pages if reported; 0 = unknown
	Last   bool   // the server said no page follows (e.g. has_more == false)
	Offset int    // position of Items[0] in the whole listing
	Token  string // the token this page was fetched with
}

// FetchFunc fetches one page. It should return promptly when ctx is done.
type FetchFunc[T any] func(ctx context.Context, req Request) (Page[T], error)

// A Source walks the pages of one listing; the context is given per walk.
//
// Pages returns a sequence of the listing's pages in order. It yields every
// page the server returned except an empty one that ends the walk, and ends
// with at most one error, as its last element. Ranging over it does the I/O;
// calling Pages does none.
type Source[T any] interface {
	Pages(ctx context.Context) iter.Seq2[Page[T], error]
}

// walker is the pull form of [Source.Pages] for the package's own
// sequential sources: one page per call of next. [All] loops over a
// walker's pages and their items itself, calling its yield only directly,
// so that the compiler can inline the caller's loop body into that loop
// and keep the body's variables in registers.
type walker[T any] interface {
	// next returns the following page, or errEnd once the walk is over. Any
	// other error is the walk's last: next returns errEnd after it.
	next() (Page[T], error)
}

// walkable is a Source whose walks hold nothing that needs cleaning up, so
// that [All] may pull them without a defer: the Offset, Token and
// PageNumber sources.
type walkable[T any] interface {
	walk(ctx context.Context) walker[T]
}

// errEnd is how a walker says the walk is over. It never leaves the package.
var errEnd = errors.New("pager: end of walk")

// pages turns a walker into the body of a Pages iterator.
func pages[T any](w walker[T], yield func(Page[T], error) bool) {
	for {
		p, err := w.next()
		if err == errEnd || !yield(p, err) || err != nil {
			return
		}
	}
}
