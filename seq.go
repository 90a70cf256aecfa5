package pager

import (
	"context"
	"iter"
)

// All returns a sequence of the items of src's pages, in order. If a page
// fails, All yields (zero, err) as its last element. Ranging over the
// sequence walks src anew; calling All does no I/O.
//
// Ranging over the sequence panics if src is nil.
func All[T any](ctx context.Context, src Source[T]) iter.Seq2[T, error] {
	// Kept within the inliner's budget for large callers (the nil check is
	// the walk's), so that the loop body is inlined into the walk below.
	return func(yield func(T, error) bool) {
		w, ok := src.(walkable[T])
		if !ok {
			allPages(ctx, src, yield)
			return
		}
		// Free of defer, and calling yield only directly and at one place,
		// so that the compiler inlines the loop body here even in a large
		// function: the package's own walkers hold nothing that a panic
		// in the body could leak.
		walk := w.walk(ctx)
		for {
			p, err := walk.next()
			if err == errEnd {
				return
			}
			if err != nil {
				p.Items = make([]T, 1) // the walk's error, yielded as its one element
			}
			for _, v := range p.Items {
				if !yield(v, err) || err != nil {
					return
				}
			}
		}
	}
}

// allPages yields the items of every other source's pages: ranging over
// its Pages lets the source clean up by defer on every way out of the loop.
func allPages[T any](ctx context.Context, src Source[T], yield func(T, error) bool) {
	if src == nil {
		panic("pager: All of a nil Source")
	}
	for p, err := range src.Pages(ctx) {
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, v := range p.Items {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// Take returns a sequence of the first n elements of seq. It stops ranging
// over seq right after the n-th item, so no further page is fetched. An
// error among the first n elements ends the sequence, as in seq.
//
// Ranging over the sequence panics if n < 0. (The check is the range's,
// not Take's, so that Take stays within the inliner's budget in large
// functions.)
func Take[T any](seq iter.Seq2[T, error], n int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if n <= 0 {
			if n < 0 {
				panic("pager: Take with a negative count")
			}
			return
		}
		i := 0
		for v, err := range seq {
			if !yield(v, err) || err != nil {
				return
			}
			if i++; i == n {
				return
			}
		}
	}
}

// Filter returns a sequence of the items of seq for which keep returns true.
// Errors pass through; the first ends the sequence.
//
// Ranging over the sequence panics if keep is nil (the range's check, as
// for [Take]).
func Filter[T any](seq iter.Seq2[T, error], keep func(T) bool) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if keep == nil {
			panic("pager: Filter with a nil func")
		}
		for v, err := range seq {
			if err == nil && !keep(v) {
				continue
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// Map returns a sequence of f applied to the items of seq. Errors pass
// through; the first ends the sequence.
//
// Map panics if f is nil.
func Map[T, U any](seq iter.Seq2[T, error], f func(T) U) iter.Seq2[U, error] {
	if f == nil {
		panic("pager: Map with a nil func")
	}
	return func(yield func(U, error) bool) {
		for v, err := range seq {
			if err != nil {
				var zero U
				yield(zero, err)
				return
			}
			if !yield(f(v), nil) {
				return
			}
		}
	}
}

// Collect returns the items of seq. If seq yields an error, Collect returns
// it together with the items seen before it.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var items []T
	for v, err := range seq {
		if err != nil {
			return items, err
		}
		items = append(items, v)
	}
	return items, nil
}

// Values returns the items of seq as an [iter.Seq], for functions such as
// [slices.Collect] and [slices.Sorted] that take one. If seq yields an
// error, the sequence ends and the error is stored in *err; *err is not
// otherwise changed, so check it after the loop:
//
//	var err error
//	names := slices.Sorted(pager.Values(seq, &err))
//	if err != nil { … }
//
// Values panics if err is nil.
func Values[T any](seq iter.Seq2[T, error], err *error) iter.Seq[T] {
	if err == nil {
		panic("pager: Values with a nil *error")
	}
	return func(yield func(T) bool) {
		for v, e := range seq {
			if e != nil {
				*err = e
				return
			}
			if !yield(v) {
				return
			}
		}
	}
}

// KeyBy returns the items of seq paired with their keys, for [maps.Collect]
// and [maps.Insert]. Errors are stored in *err as by [Values].
//
// Note that maps.Collect(seq) on an iter.Seq2[T, error] itself compiles, and
// builds a map[T]error that keeps the error as a value beside whichever item
// came with it; it never reports it. Use KeyBy instead:
//
//	var err error
//	byID := maps.Collect(pager.KeyBy(seq, func(r Run) string { return r.ID }, &err))
//
// KeyBy panics if key or err is nil.
func KeyBy[K comparable, T any](seq iter.Seq2[T, error], key func(T) K, err *error) iter.Seq2[K, T] {
	if key == nil {
		panic("pager: KeyBy with a nil key func")
	}
	values := Values(seq, err)
	return func(yield func(K, T) bool) {
		for v := range values {
			if !yield(key(v), v) {
				return
			}
		}
	}
}
