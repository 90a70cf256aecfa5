// Pagecat walks every page of a paginated JSON API and writes the items
// as NDJSON, one item per line, to standard output or to a file that a
// second run resumes:
//
//	pagecat [flags] URL [flags]
//	pagecat -demo [flags]
//
// It speaks limit/offset (with a total, has_more, or a bare array: -items .),
// page tokens (nextPageToken), page numbers (?page=&per_page=), Link
// headers (rel="next") and NDJSON streams, and detects which from the first
// response unless -style says; next URLs in the body, keyset cursors,
// cursors in headers, POST bodies, GraphQL connections and change feeds
// it takes from their flags (see "Cursor styles"). Every request, the
// first included, is tried as often as -retry says. Output is written in whole lines only: if
// pagecat is killed, the output ends with a whole record.
//
// # Output file and resume
//
// With -o FILE, pagecat writes to FILE and keeps a checkpoint beside it,
// FILE.pagecat.json: where the walk is, how many items FILE holds, and how
// many of its bytes hold them. Every -checkpoint-every (1 s), at the end of
// a page, it syncs FILE and then replaces the checkpoint atomically (a
// temporary file, synced, renamed). If the export stops — Ctrl-C, a kill,
// a failure, a reboot — the very same command continues after the last
// whole record the checkpoint covers: what FILE holds past it (a torn
// line, records written since) is cut off and fetched again, so that each
// record is in FILE once. This holds for every style; an NDJSON stream
// resumes only with -offset-param. A finished export says so and fetches
// nothing, unless -restart. While a run writes FILE it holds a lock on it
// (flock), so that the same command started again too early is refused
// instead of writing too. A checkpoint written by another command (its
// URL, -style, -items, -page-size, -jq … differ) is refused, the
// difference named. The checkpoint holds no header value, and the URL
// with its secret query values redacted, and hashed; a next link's secret
// values are redacted too, and put back from the URL on resume.
//
//	pagecat -o runs.ndjson -H 'Authorization: Bearer $TOKEN' https://api.example.com/v1/runs
//
// # Cursor styles
//
// The styles a first GET cannot reveal are chosen by their flags. The
// cursor is read from -next-field (a body field), -keyset (a field of the
// page's last item) or -cursor-header (response headers, several
// comma-separated), and sent back as -token-param, -token-header or, with
// -body (a JSON object POSTed with every request, or @FILE),
// -token-field. -graphql QUERY_FILE -connection PATH walks a Relay
// connection; -style next follows a next URL in the body; -style changes
// reads a change feed to the present:
//
//	pagecat -keyset id -token-param starting_after -H 'Authorization: Bearer $STRIPE_KEY' https://api.stripe.com/v1/charges
//	pagecat -graphql issues.graphql -connection data.repository.issues -variables '{"owner": "golang"}' https://api.github.com/graphql
//	pagecat -body @query.json -limit-field page_size -token-field start_cursor -next-field next_cursor -items results URL
//
// # jq
//
// -jq EXPR runs a jq expression on each item, with gojq, and writes each
// result as a line; an error names the item's offset in the listing. With
// -slurp, the items are kept to the end and written as one JSON array, or
// EXPR runs once on that array, as jq -s does, so that counts and
// aggregates are over all items, not per page. With -o FILE, the items
// wait in FILE.pagecat.part, which a resume continues, and FILE is written
// whole at the end (renamed into place), never half:
//
//	pagecat -o ids.txt -jq .id URL
//	pagecat -slurp -jq 'group_by(.status) | map({status: .[0].status, n: length})' URL
//
// # Progress
//
// On a terminal, pagecat shows one line, rewritten in place: items, pages,
// items/s, retries and quota waits (429s) so far, and when the server
// reports a total, the percent done and the time left. -progress always
// into a file or a pipe writes a plain line every 10 s instead, and one at
// the end; -progress never shows none.
//
// # Headers and secrets
//
// Pagecat expands $NAME and ${NAME} in a -H value from the environment, and
// -H @FILE reads headers from FILE, one 'Name: value' per line, so that a
// secret need not be on the command line (single-quote the flag, so that
// the shell leaves $NAME to pagecat):
//
//	export TOKEN=…
//	pagecat -H 'Authorization: Bearer $TOKEN' https://api.example.com/v1/runs
//
// Messages never show a header value; secret query parameters (api_key,
// access_token, token, key, signature, sig, password, secret, …) are shown
// as REDACTED, and control characters from servers are escaped.
//
// # Failure without -o
//
// On failure pagecat says why, keeps the items already written, and prints
// the command that resumes the export after them. That command keeps -H
// flags that name a variable or a file, leaves out headers given literally
// and redacted query parameters, and says which to put back. A failure
// before anything was written prints no resume command, and a server that
// ignores the offset or page parameter (it answers two requests with the
// same page) is named with the flag to set.
//
// # Demo
//
// With -demo it starts an API simulator on 127.0.0.1 and exports from it,
// with no server to install, telling on stderr what the walk met and did:
// a clamped page size, a 503 retried, a 429 waited out, a short page that
// was not the end, a stream reopened where it broke off. From a clone:
//
//	cd cmd/pagecat && go run . -demo | head
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
)

// gcPercent is pagecat's GOGC, unless the environment sets one. Its live
// heap is small, a page or a few (and -jq's values of one item), while it
// allocates as fast as it reads: at the default of 100 the collector runs
// every 4 MB or so, and its cycles and the scavenger's returning of the
// pages took some 45 % of the CPU of an export with -jq (BENCHMARKS.md).
// At 400 the heap may grow to five times what is live: a peak RSS of
// 30 MiB instead of 19 exporting pages of 1000 small records. -slurp, which holds every item,
// keeps the default. So that pages near -max-body-size do not grow the heap
// to five times theirs, a soft limit of gcMemoryLimit (unless GOMEMLIMIT is
// set) makes the collector run early once the heap nears it.
const (
	gcPercent     = 400
	gcMemoryLimit = 256 << 20
)

// tuneGC sets the collector's GOGC, and its soft memory limit, for an
// export, -slurp's or another.
func tuneGC(slurp bool) {
	if _, set := os.LookupEnv("GOGC"); set || slurp {
		return // -slurp: the default, 100
	}
	debug.SetGCPercent(gcPercent)
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
