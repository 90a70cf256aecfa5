// Pagecat walks every page of a paginated JSON API and writes the items to
// standard output as NDJSON, one item per line, so that they pipe into jq:
//
//	pagecat [flags] URL [flags]
//	pagecat -demo [flags]
//
// It speaks limit/offset (with a total, has_more, or a bare array: -items .),
// page tokens (nextPageToken), page numbers (?page=&per_page=), Link
// headers (rel="next") and NDJSON streams, and detects which from the first
// response unless -style says. Every request, the first included, is tried
// as often as -retry says. Output is written in whole lines only: if
// pagecat is killed, the output ends with a whole record.
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
// # Failure and resume
//
// On failure pagecat says why, keeps the items already written, and prints
// the command that resumes the export after them. That command keeps -H
// flags that name a variable or a file, leaves out headers given literally
// and redacted query parameters, and says which to put back. A failure
// before anything was written prints no resume command, and a server that
// ignores the offset or page parameter (it answers two requests with the
// same page) is named with the flag to set.
//
// With -demo it starts an API simulator on 127.0.0.1 and exports from it,
// with no server to install:
//
//	go run github.com/pagerseq/pager/cmd/pagecat -demo | head
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
