package pagerhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pagerseq/pager"
)

// NDJSONStream returns a Source that reads the listing at e as one stream of
// JSON lines, as [pager.NDJSONOpen] reads what it opens: the request asks
// for it with Accept: application/x-ndjson and Accept-Encoding: identity
// (unless e.Header says otherwise: a server that compresses holds back a
// live stream until its compressor's buffer fills; a stream gzipped
// nonetheless is decompressed), and Page offsets count the items from the start of the
// stream. The request is sent when the walk starts. A status other than
// 2xx ends the walk with a [*pager.PageError] wrapping an [*HTTPError]; the
// body is closed when the walk ends, however it ends. e.Items and e's body
// fields do not apply.
//
// A request that fails before the stream delivered anything is retried as
// the [pager.Retry] policy says. If e.OffsetParam names a query parameter
// that makes the server start the stream at an item (?offset=12000), a
// stream that breaks off is asked for again from there, so each item still
// arrives once, in order; so does a walk given [pager.StartOffset] or
// [pager.Resume]. Without it, a stream that breaks off after delivering
// items ends the walk with a *PageError at the offset of the first item not
// received, and a start past the first item fails with an error that says
// to set OffsetParam.
//
// NDJSONStream panics if e.URL is not a valid URL.
func NDJSONStream[T any](e Endpoint, opts ...pager.Option) pager.Source[T] {
	c := newHTTPClient(e, "NDJSONStream", params{limit: "-", offset: "-"})
	return pager.NDJSONOpen[T](c.openStream, opts...)
}

// openStream sends the request for the stream from the item at offset.
func (c *httpClient) openStream(ctx context.Context, offset int) (io.ReadCloser, error) {
	q := c.base.Query()
	if offset > 0 && (c.e.OffsetParam == "-" || c.e.OffsetParam == "") {
		return nil, fmt.Errorf("pagerhttp: NDJSONStream %s cannot start at item %d: set Endpoint.OffsetParam to the query parameter that does: %w",
			c.base.Host, offset, errors.ErrUnsupported)
	}
	c.set(q, c.e.OffsetParam, strconv.Itoa(offset))
	resp, err := c.open(ctx, c.url(q), "application/x-ndjson")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil // not drained when closed: the rest of a stream is not worth reading
}
