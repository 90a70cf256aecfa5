package pagerhttp

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/pagerseq/pager"
)

// OffsetFetch returns a FetchFunc for [pager.Offset] that asks e for a page with
// the query parameters limit and offset (or e's LimitParam and OffsetParam)
// and reads its items, Total and HasMore. It panics if e.URL is not a valid
// URL.
func OffsetFetch[T any](e Endpoint) pager.FetchFunc[T] {
	c := newHTTPClient(e, "OffsetFetch", params{limit: "limit", offset: "offset"})
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
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
func TokenFetch[T any](e Endpoint) pager.FetchFunc[T] {
	c := newHTTPClient(e, "TokenFetch", params{limit: "pageSize", token: "pageToken"})
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
// and reads its items, Total, HasMore and TotalPages. It panics if e.URL is
// not a valid URL.
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

// getPage fetches the page at u and decodes it.
func getPage[T any](ctx context.Context, c *httpClient, u string, req pager.Request) (pager.Page[T], error) {
	var p pager.Page[T]
	resp, err := c.do(ctx, u, "application/json")
	if err != nil {
		return p, err
	}
	defer drainClose(resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return p, fmt.Errorf("pagerhttp: %s %s: reading the body: %w", c.method, u, err)
	}
	if err := decodePage(c, body, &p, req); err != nil {
		return pager.Page[T]{}, fmt.Errorf("pagerhttp: %s %s: %w", c.method, u, err)
	}
	if c.style.link {
		p.Next, _ = nextLink(resp)
	}
	return p, nil
}
