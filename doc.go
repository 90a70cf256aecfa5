// Package pager turns paginated web APIs and NDJSON streams into Go
// iterators: one range loop walks every page, and stopping the loop stops
// the fetching.
//
//	src := pager.Offset(fetchRuns, pager.PageSize(200), pager.MaxPageSize(1000))
//	for run, err := range pager.All(ctx, pager.Prefetch(src, 4)) {
//		if err != nil {
//			return err // a *PageError says where to resume
//		}
//		…
//	}
//
// The package is the iterator model alone; package
// [github.com/pagerseq/pager/pagerhttp] builds its sources and fetch
// functions for HTTP APIs.
//
// # Sources
//
// A [Source] walks the pages of one listing. [Offset] walks limit/offset
// listings, [Token] walks cursor listings (nextPageToken), [PageNumber]
// walks ?page=N listings; [NDJSON] reads a stream of JSON lines from a
// reader, and [NDJSONOpen] from a stream it opens, again where it broke.
// The first three call a [FetchFunc] that asks the server for one page and
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
// Sources are values: building one does no I/O, and each range over
// [Source.Pages] or [All] walks the listing from its start again. Each
// [Option] says which sources it applies to; a source given another panics
// when it is built.
//
// # Errors
//
// Every sequence here yields at most one error, as its last element: the
// loop may return on it or range on, and nothing follows it. A failed page
// is a [*PageError] that wraps the cause for [errors.Is] and [errors.As],
// and holds the [Checkpoint] to resume from: [Resume](pe.Checkpoint) starts
// a walk of the same source at the failed page, with nothing repeated or
// skipped. A bad NDJSON line is a [*LineError] that says which line. [Retry]
// retries failed fetches with backoff before a page counts as failed.
//
// [AllFrom] keeps a Checkpoint just past every item it yields, so that a
// walk resumes after a crash, in another process, after the last item
// processed.
//
// [Collect] returns the items seen before an error together with it.
// [Values] and [KeyBy] adapt a sequence to [slices.Collect], [slices.Sorted]
// and [maps.Collect], which know nothing of errors, without losing the error.
//
// # Exports in parts
//
// A long export is split into [Partition] values — offset ranges
// ([OffsetPartitions], walked within [EndOffset]) or time windows
// ([TimePartitions]) — each walked and checkpointed on its own, and a
// [Progress] folds their checkpoints into one value that resumes the whole.
// An incremental run delivers only the items past a [Watermark] on a field
// that grows (updated_at): [Since] filters them, [SinceDescending] stops a
// listing sorted newest first at the watermark, and [NextMark] gives the
// watermark to commit once every partition has finished.
//
// # Stopping early
//
// Breaking out of the loop, directly or through [Take], means that no
// further page is fetched: a walk fetches a page only when the loop asks for
// an item past the pages it has.
//
// # Goroutines and cancellation
//
// The Offset, Token, PageNumber and NDJSON sources, and [All], [Take] and
// [Filter] over them, run on the caller's goroutine and start none (NDJSON
// decodes long runs of lines on a few goroutines of its own, which it waits
// for). A done context ends a walk with its error before the next fetch or
// read, and wakes a retry's sleep. [Prefetch] fetches ahead on other
// goroutines under a context of its own.
//
// Every walk cleans up before the range statement over it returns, however
// the loop ends: by break, by Take, by an error, or by a panic in the loop
// body that a caller recovers. Fetches in flight are canceled and every
// goroutine the walk started has exited. The loop body always runs on the
// caller's goroutine.
//
// [All] inlines the loop body into its own walk of the Offset, Token and
// PageNumber sources, which hold nothing to clean up; every other source,
// a Source written outside this package included, it ranges through the
// source's Pages, whose defers clean up. A loop body with a long, cold
// path (logging, building an error) runs fastest when that path calls a
// function: the compiler then inlines the rest.
package pager
