package pager

import (
	"context"
	"errors"
	"iter"
	"runtime"
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

// walker is the pull form of [Source.Pages]: one page per call of next.
// [All] loops over a walker's pages and their items itself, calling its
// yield only directly, so that the compiler can inline the caller's loop
// body into that loop and keep the body's variables in registers.
type walker[T any] interface {
	// next returns the following page, or errEnd once the walk is over. Any
	// other error is the walk's last: next returns errEnd after it.
	next() (Page[T], error)
	// stop ends the walk early and releases what it holds.
	stop()
}

// walkable is a Source whose walks the package can pull page by page
// without a coroutine: its own Offset and Token sources.
type walkable[T any] interface {
	walk(ctx context.Context) walker[T]
}

// errEnd is how a walker says the walk is over. It never leaves the package.
var errEnd = errors.New("pager: end of walk")

// walkerOf returns a walker over src's pages.
func walkerOf[T any](ctx context.Context, src Source[T]) walker[T] {
	if w, ok := src.(walkable[T]); ok {
		return w.walk(ctx)
	}
	return pull(src.Pages(ctx))
}

// pages turns a walker into the body of a Pages iterator.
func pages[T any](w walker[T], yield func(Page[T], error) bool) {
	for {
		p, err := w.next()
		if err == errEnd || !yield(p, err) || err != nil {
			return
		}
	}
}

// pullWalker walks any Source by pulling its Pages iterator as a coroutine.
type pullWalker[T any] struct {
	pull func() (Page[T], error, bool)
	end  func()
}

func pull[T any](seq iter.Seq2[Page[T], error]) *pullWalker[T] {
	next, stop := iter.Pull2(seq)
	w := &pullWalker[T]{pull: next, end: stop}
	// All stops a walk on every way out of its loop but one: a panic in the
	// loop body. A deferred stop would cover it, but would keep the compiler
	// from inlining All. So if the walk is dropped unstopped, stop it when
	// it becomes unreachable — on a goroutine of its own, since stopping
	// runs the rest of the source's iterator, which may block.
	runtime.SetFinalizer(w, func(w *pullWalker[T]) { go w.end() })
	return w
}

func (w *pullWalker[T]) next() (Page[T], error) {
	p, err, ok := w.pull()
	if !ok {
		return Page[T]{}, errEnd
	}
	return p, err
}

func (w *pullWalker[T]) stop() {
	runtime.SetFinalizer(w, nil)
	w.end()
}
