package pagerhttp

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/pagerseq/pager"
)

// NextURL returns a Source for a listing whose bodies name the next
// page's URL: Django REST framework's "next", JSON:API's "links.next",
// HAL's "_links.next.href", OData's "@odata.nextLink", Salesforce's
// "nextRecordsUrl". e.Cursor says where it is, by default
// BodyField("next"); a link object ({"href": …}) stands for its href.
//
// The first request asks for e.URL, with the query parameter LimitParam
// if e sets it (none by default: "page_size", "$top", "page[size]"…);
// each later one for the previous page's next URL, resolved against the
// URL of the request that returned it, so that it may be relative. If it
// is a number, as json-server 1.0's "next" is, it is a page number: the
// next request is the last one with the query parameter PageParam
// (default "page") set to it.
//
// The walk ends after a page whose next URL is absent, null or "", or
// whose HasMore field (default "has_more") is false. It is a [pager.Token]
// walk whose tokens are the URLs, as [Link]'s is: a next URL already
// visited ends it with a [*pager.PageError] wrapping
// [pager.ErrRepeatedToken], and [pager.Resume] from a PageError's
// Checkpoint resumes it. NextURL panics if e.URL is not a valid URL, or
// if e sets SendCursor or Body, which do not apply.
func NextURL[T any](e Endpoint, opts ...pager.Option) pager.Source[T] {
	if e.Cursor.kind == nowhere {
		e.Cursor = BodyField("next")
	}
	if e.SendCursor.kind != nowhere || e.Body != "" {
		panic("pagerhttp: NextURL with a SendCursor or a Body: the next URL is the whole request")
	}
	e.SendCursor = Query("-") // none: the URL carries the cursor
	c := newCursorClient(e, "NextURL", params{limit: "-", page: "page"}, dialect{})
	return urlWalk(c.httpClient, func(ctx context.Context, u string, req pager.Request) (pager.Page[T], error) {
		p, err := getCursorPage[T](ctx, c, u, req)
		if err != nil || p.Next == "" {
			return p, err
		}
		p.Next, err = c.nextURL(u, p.Next)
		return p, err
	}, opts)
}

// nextURL resolves next, a next URL or page number read from the answer
// to the request for u.
func (c *cursorClient) nextURL(u, next string) (string, error) {
	base, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("pagerhttp: %w", err)
	}
	if n, err := strconv.Atoi(next); err == nil && n > 0 && c.e.PageParam != "-" {
		q := base.Query()
		q.Set(c.e.PageParam, next)
		base.RawQuery = q.Encode()
		return base.String(), nil
	}
	target, err := base.Parse(next)
	if err != nil {
		return "", c.fail(u, fmt.Errorf("the next URL %q: %w", Redact(next), err))
	}
	return target.String(), nil
}

// urlWalk returns a [pager.Token] walk whose tokens are the URLs of the
// pages, for [Link] and [NextURL]: get fetches the page at a URL and sets
// its Next to the next page's URL, resolved.
//
// The walk's first token is c's URL itself: the page size, which only the
// walk knows, is added to it when it is fetched. A next URL back to that
// first page is mapped to the first token, so that it counts as
// repeated. A StartToken among opts comes later and wins.
func urlWalk[T any](c *httpClient, get func(ctx context.Context, u string, req pager.Request) (pager.Page[T], error), opts []pager.Option) pager.Source[T] {
	start := c.url(c.base.Query())
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		first := c.url(c.query(req.Limit))
		u := req.Token
		if u == start {
			u = first
		}
		p, err := get(ctx, u, req)
		if err != nil {
			return p, err
		}
		// A next URL off the origin is refused when it is requested
		// (see httpClient.do): this page's items are good.
		if p.Next == first {
			p.Next = start
		}
		return p, nil
	}
	return pager.Token(fetch, append([]pager.Option{pager.StartToken(start)}, opts...)...)
}
