package pagerhttp

import "github.com/pagerseq/pager"

// ChangesFetch returns a FetchFunc for [pager.Token] over a change feed,
// as CouchDB's _changes serves one: ?since=…&limit=… answered with
// {"results": [...], "last_seq": "…", "pending": 12}. The defaults are
// Items "results", NextToken "last_seq", TokenParam "since", LimitParam
// "limit" and Pending "pending"; e may set them and any field of
// [TokenFetch].
//
// A change feed has no last page, only a present: the walk ends, with no
// error, when it is caught up — after a page whose Pending field is 0, or
// on an empty page whose cursor is the one it was asked with (CouchDB 1.x
// sends no pending). A walk resumed from its last Checkpoint later asks
// for the changes made since. A non-empty page whose cursor was used
// before is a true cycle: [pager.ErrRepeatedToken], as for any Token walk.
//
// ChangesFetch panics if e.URL is not a valid URL.
func ChangesFetch[T any](e Endpoint) pager.FetchFunc[T] {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&e.Items, "results")
	def(&e.NextToken, "last_seq")
	def(&e.Pending, "pending")
	return cursorFetch[T](newCursorClient(e, "ChangesFetch", params{limit: "limit", token: "since"}, dialect{changes: true}))
}
