// Pagecat walks every page of a paginated JSON API and writes the items to
// standard output as NDJSON, one item per line, so that they pipe into jq:
//
//	pagecat [flags] URL
//	pagecat -demo
//
// It speaks limit/offset (with a total, has_more, or a bare array), page
// tokens (nextPageToken), page numbers (?page=&per_page=), Link headers
// (rel="next") and NDJSON streams, and detects which from the first
// response unless -style says. Failed requests are retried (-retry). On
// failure it says why, keeps the items already written, and prints the
// flag that resumes the export after them.
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
