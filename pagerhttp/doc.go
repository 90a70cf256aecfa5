// Package pagerhttp reads the listings of HTTP APIs as [pager] sources: an
// [Endpoint] says how to ask for a page and where its items are, and
// [OffsetFetch], [TokenFetch], [PageNumberFetch], [Link] and [NDJSONStream]
// turn it into a fetch function or a source.
//
// # Safe at the edge
//
// The server is not trusted with more than the listing:
//
//   - Credentials stay with their origin. [Endpoint.Header] goes only to the
//     scheme, host and port of [Endpoint.URL] and to [Endpoint.AllowHosts]; a
//     next URL elsewhere, a step down from https to http, or another scheme
//     ends the walk with an [*OriginError]. Redirects to another origin
//     carry none of the caller's headers; one down to http is refused.
//   - Everything the server controls is bounded: a page body's size after
//     decompression ([Endpoint.MaxBodySize], 64 MiB), the wait for headers
//     and for the next bytes of a body ([Endpoint.HeaderTimeout],
//     [Endpoint.IdleTimeout], a minute each; never the whole exchange), and
//     empty pages in a row ([pager.MaxEmptyPages], 100).
//   - Nothing is lost in silence: a server that ignores the offset, an empty
//     page that says more follow, a next-token field under another name are
//     errors, not the end.
//   - Errors that cannot heal (a body that does not decode, has the wrong
//     shape or is too large; a refused URL) are not retried.
//   - Secrets stay out of messages: URLs go through [Redact], server text is
//     cut short and its control characters escaped.
package pagerhttp
