package pagerhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/walkid"
)

// OffsetFetch returns a FetchFunc for [pager.Offset] that asks e for a page with
// the query parameters limit and offset (or e's LimitParam and OffsetParam)
// and reads its items, Total (or a total in a header: see
// [Endpoint.TotalHeader]) and HasMore. It panics if e.URL is not a valid
// URL.
//
// A server that ignores the offset parameter (a static file, a parameter
// of another name) answers the page after n items with the same n items:
// a page whose items are byte for byte those of the page just before it
// fails with an error wrapping [pager.ErrRepeatedPage], under [pager.Prefetch]
// too. (A listing whose consecutive pages hold the very same bytes cannot
// be told from that server.) Only pages of one walk are compared: the
// listing may change between walks. (A FetchFunc called by hand, outside
// a walk of [pager.Offset], takes a request for offset 0 to start a new
// walk.) An empty page while Total or HasMore says more
// follow fails with [ErrItemsMissing]. Neither is retried.
func OffsetFetch[T any](e Endpoint) pager.FetchFunc[T] {
	c := newHTTPClient(e, "OffsetFetch", params{limit: "limit", offset: "offset", byOffset: true})
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		if req.Offset == 0 && walkid.Of(ctx) == nil {
			c.pages.reset(nil) // a new walk, if the caller walks by hand
		}
		q := c.query(req.Limit)
		c.set(q, c.e.OffsetParam, strconv.Itoa(req.Offset))
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// TokenFetch returns a FetchFunc for [pager.Token] that asks e for a page with the
// query parameters pageSize and pageToken (or e's LimitParam and
// TokenParam; no token on the first request) and reads its items and
// NextToken, which may be a JSON string or number. It panics if e.URL is
// not a valid URL.
//
// A page without the NextToken field but with one that looks like a next
// page's token (next_cursor, cursor, next, continuation, nextToken,
// next_page_token, …, or one of those in an object of the body:
// meta.next_cursor) fails, naming that field, rather than end the walk
// after its first page. HasMore true on an empty page without a token
// fails with [ErrItemsMissing].
//
// If e sets Cursor, SendCursor or Body, the cursor is read and sent where
// they say (see [Place]): a keyset from the last item, a cursor in
// headers, a cursor in a POST body. The walk ends after a page with no
// cursor, or with HasMore false; with a [LastItem] cursor, on an empty
// page (an error if it says more follow). A last item whose cursor is the one its page was asked with would
// repeat the page forever: it is an error wrapping
// [pager.ErrRepeatedToken], not retried.
func TokenFetch[T any](e Endpoint) pager.FetchFunc[T] {
	p := params{limit: "pageSize", token: "pageToken"}
	if e.styled() {
		return cursorFetch[T](newCursorClient(e, "TokenFetch", p, dialect{}))
	}
	c := newHTTPClient(e, "TokenFetch", p)
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		q := c.query(req.Limit)
		if req.Token != "" {
			c.set(q, c.e.TokenParam, req.Token)
		}
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// PageNumberFetch returns a FetchFunc for [pager.PageNumber] that asks e for a page with
// the query parameters page and per_page (or e's PageParam and LimitParam)
// and reads its items, Total, HasMore and TotalPages (0 or less: unknown).
// An empty page while HasMore or TotalPages says more follow fails with
// [ErrItemsMissing]. It panics if e.URL is not a valid URL.
func PageNumberFetch[T any](e Endpoint) pager.FetchFunc[T] {
	c := newHTTPClient(e, "PageNumberFetch", params{limit: "per_page", page: "page"})
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		q := c.query(req.Limit)
		n := req.Page
		if c.e.PagesFromZero {
			n--
		}
		c.set(q, c.e.PageParam, strconv.Itoa(n))
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// getPage fetches the page at u and decodes it. Every error it returns but
// a failed request or read is not retried.
func getPage[T any](ctx context.Context, c *httpClient, u string, req pager.Request) (pager.Page[T], error) {
	var p pager.Page[T]
	resp, body, err := c.fetchBody(ctx, u)
	if err != nil {
		return p, err
	}
	items, err := decodePage(c, body, &p, req)
	if err == nil && c.style.byOffset {
		err = c.pages.see(walkid.Of(ctx), req.Offset, len(p.Items), items, c.e.OffsetParam)
	}
	if err != nil {
		return pager.Page[T]{}, c.decodeError(u, err)
	}
	if p.Total == 0 {
		p.Total = headerTotal(resp.Header, c.e.TotalHeader)
	}
	if c.style.link {
		p.Next, _ = nextLink(resp)
	}
	return p, nil
}

// fetchBody sends the request for u, dressed by extra, and reads the
// response's body within the Endpoint's bounds. The response's body is
// closed when it returns.
func (c *httpClient) fetchBody(ctx context.Context, u string, extra ...func(*http.Request)) (*http.Response, []byte, error) {
	resp, err := c.do(ctx, u, "application/json", c.e.MaxBodySize, extra...)
	if err != nil {
		return nil, nil, err
	}
	defer drainClose(resp.Body)
	body, err := readBody(resp, c.e.MaxBodySize)
	if err != nil {
		var re *responseError
		if errors.As(err, &re) {
			return nil, nil, err
		}
		return nil, nil, &responseError{method: c.method, url: Redact(u), err: fmt.Errorf("reading the body: %w", err), retryable: true}
	}
	return resp, body, nil
}

// decodeError is err, from decoding the body of the answer for u. A body
// cut short, whole as far as HTTP can tell (a proxy or a server that gave
// up), may come whole when asked again; any other body that does not
// decode will not.
func (c *httpClient) decodeError(u string, err error) error {
	return &responseError{method: c.method, url: Redact(u), err: err, retryable: cutShort(err)}
}

// cutShort reports whether err is a JSON body cut short.
func cutShort(err error) bool {
	var se *json.SyntaxError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) && se.Error() == "unexpected end of JSON input"
}

// readBody reads resp's body into a buffer of its Content-Length, if it
// has one and send checked it against limit, without the copies of a
// growing buffer.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	if n <= 0 || limit < 0 && n > DefaultMaxBodySize { // unknown, or too large to trust
		return io.ReadAll(resp.Body)
	}
	buf := make([]byte, n)
	_, err := io.ReadFull(resp.Body, buf)
	return buf, err
}
