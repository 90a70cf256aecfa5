// Package walkid marks the context of a walk with the walk's identity, so
// that a FetchFunc of this module that remembers answers across requests
// (pagerhttp.OffsetFetch) can tell its walks apart, concurrent ones and
// Prefetch's fetches included: a request's offset cannot, since the
// fetches of one walk answer in any order.
package walkid

import "context"

type key struct{}

// With returns ctx marked as the context of walk, a pointer of the walk's
// own.
func With(ctx context.Context, walk any) context.Context {
	return context.WithValue(ctx, key{}, walk)
}

// Of returns the walk that ctx, or the context it derives from, was marked
// with by With; nil if none.
func Of(ctx context.Context) any {
	return ctx.Value(key{})
}
