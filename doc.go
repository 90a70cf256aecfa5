// Package pager turns paginated web APIs and NDJSON streams into Go
// iterators: one range loop walks every page, and stopping the loop stops
// the fetching.
//
//	src := pager.Offset(fetchRuns, pager.PageSize(200), pager.MaxPageSize(1000))
//	for run, err := range pager.All(ctx, src) {
//		if err != nil {
//			return err // a *PageError says where to resume
//		}
//		…
//	}
//
// # Sources
//
// A [Source] walks the pages of one listing. [Offset] walks limit/offset
// listings, [Token] walks cursor listings (nextPageToken), [PageNumber]
// walks ?page=N listings, and [NDJSON] reads a stream of JSON lines. The
// first three call a [FetchFunc] that asks the server for one page and
// fills a [Page] with what it answered; the source decides what to ask next
// and when the listing is over:
//
//   - Offsets advance by the number of items received, never by the limit
//     asked for, so a server that clamps or cuts a page short loses nothing.
//   - An Offset or PageNumber walk ends on an empty page, on Last, or on
//     reaching Total; a short page ends it only with [StopOnShortPage].
//   - A Token walk ends on an empty Next. Empty pages with a Next are walked
//     through; a Next already used ends the walk with [ErrRepeatedToken].
//
// For HTTP APIs, an [Endpoint] says where and how to ask, and [OffsetFetch],
// [TokenFetch] and [PageFetch] make the FetchFunc; [Link] follows Link
// headers and [NDJSONStream] reads a stream over HTTP.
//
// Sources are values: building one does no I/O, and each range over
// [Source.Pages] or [All] walks the listing from its start option again.
// [AllFrom] keeps a [Checkpoint] after every item, from which a walk resumes
// in another process with nothing repeated or skipped.
//
// # Errors
//
// Every sequence here yields at most one error, as its last element: the
// loop may return on it or range on, and nothing follows it. A failed page
// is a [*PageError] that says where to resume ([StartOffset] or
// [StartToken]) and wraps the cause for [errors.Is] and [errors.As]; a bad
// NDJSON line is a [*LineError] that says which line. [Retry] retries
// failed fetches with backoff before a page counts as failed.
//
// [Collect] returns the items seen before an error together with it.
// [Values] and [KeyBy] adapt a sequence to [slices.Collect], [slices.Sorted]
// and [maps.Collect], which know nothing of errors, without losing the error.
//
// # Stopping early
//
// Breaking out of the loop, directly or through [Take], means that no
// further page is fetched: a walk fetches a page only when the loop asks for
// an item past the pages it has.
//
// # Goroutines and cancellation
//
// The Offset, Token and PageNumber sources, and [All], [Take] and [Filter]
// over them, run on the caller's goroutine and start none. A done context
// ends a walk with its error (wrapped in a *PageError) before the next
// fetch, and wakes a retry's sleep. [Prefetch] fetches ahead on other
// goroutines under a context of its own, which it cancels when the loop
// ends; every goroutine it started has exited before the range statement
// returns. So does an [NDJSON] walk, which reads the stream on a goroutine
// of its own and decodes lines on up to GOMAXPROCS more; a done context
// ends it with ctx.Err(), closing the reader (an HTTP body) to stop a read
// in flight (see NDJSON for a reader that cannot be closed).
//
// All pulls the pages of a Source written outside this package on a
// coroutine ([iter.Pull2]), and those of a Prefetch or an NDJSON source
// from their goroutines, so that the loop body stays inlined. On break,
// Take, an error or the end, All stops such a walk before the range
// statement returns. If the loop body panics and the panic is recovered,
// the walk is stopped when the garbage collector finds it unreachable
// instead; range over [Source.Pages] where that must happen at once.
package pager
