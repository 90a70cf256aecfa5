package pager

import (
	"errors"
	"fmt"
	"iter"
)

// ErrDuplicate reports an item whose key an earlier item of the sequence
// had; see [RejectDuplicates].
var ErrDuplicate = errors.New("pager: duplicate item")

// Dedupe returns seq without the items whose key an earlier item had. It
// mends what an offset walk over a listing that changes does to it: an
// insertion before the walk's position shifts an item already yielded onto
// the next page. (A deletion shifts an item the walk has not reached back
// onto a page it has passed: no client can see that; see the README.)
// Errors pass through. Dedupe remembers every key it has seen.
//
// A server that ignores the offset and serves the same page forever would
// make Dedupe drop items forever: use [RejectDuplicates] where that may happen.
//
// Dedupe panics if key is nil.
func Dedupe[T any, K comparable](seq iter.Seq2[T, error], key func(T) K) iter.Seq2[T, error] {
	return dedupe(seq, key, false)
}

// RejectDuplicates returns seq, ending it with an error that wraps [ErrDuplicate] at
// the first item whose key an earlier item had. It turns a listing that
// repeats itself — a server that ignores the offset or page parameter and
// serves the first page again, a cursor that cycles — into an error rather
// than an endless walk. RejectDuplicates remembers every key it has seen.
//
// RejectDuplicates panics if key is nil.
func RejectDuplicates[T any, K comparable](seq iter.Seq2[T, error], key func(T) K) iter.Seq2[T, error] {
	return dedupe(seq, key, true)
}

func dedupe[T any, K comparable](seq iter.Seq2[T, error], key func(T) K, strict bool) iter.Seq2[T, error] {
	if key == nil {
		panic("pager: Dedupe or RejectDuplicates with a nil key func")
	}
	return func(yield func(T, error) bool) {
		seen := make(map[K]int) // key → index of its first item
		i := 0
		for v, err := range seq {
			if err != nil {
				yield(v, err)
				return
			}
			k := key(v)
			if first, dup := seen[k]; dup {
				if strict {
					var zero T
					yield(zero, fmt.Errorf("%w: item %d has the key %v of item %d", ErrDuplicate, i, k, first))
					return
				}
			} else {
				seen[k] = i
				if !yield(v, nil) {
					return
				}
			}
			i++
		}
	}
}
