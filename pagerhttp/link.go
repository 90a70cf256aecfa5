package pagerhttp

import (
	"context"
	"net/http"
	"strings"

	"github.com/pagerseq/pager"
)

// Link returns a Source for a listing whose responses name the next page
// in a Link header (RFC 8288, rel="next"), as GitHub's do. The first
// request asks for e.URL with the query parameter per_page (or e's
// LimitParam), each later one for the previous response's next link,
// resolved against its URL; a response without one is the last page. The
// body holds the items (a bare array unless e.Items says otherwise).
//
// The walk is a [pager.Token] walk whose tokens are the URLs: a next link already
// visited (a server linking a page to itself) ends it with a [*pager.PageError]
// wrapping [pager.ErrRepeatedToken], and [pager.StartToken] with a PageError's Token
// resumes it. It panics if e.URL is not a valid URL.
func Link[T any](e Endpoint, opts ...pager.Option) pager.Source[T] {
	c := newHTTPClient(e, "Link", params{limit: "per_page", link: true})
	// The walk's first token is e.URL itself: the page size, which only
	// the walk knows, is added to it when it is fetched. A next link back
	// to that first page is mapped to the first token, so that it counts
	// as repeated. A StartToken among opts comes later and wins.
	start := c.url(c.base.Query())
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		first := c.url(c.query(req.Limit))
		u := req.Token
		if u == start {
			u = first
		}
		p, err := getPage[T](ctx, c, u, req)
		if p.Next == first {
			p.Next = start
		}
		return p, err
	}
	return pager.Token(fetch, append([]pager.Option{pager.StartToken(start)}, opts...)...)
}

// nextLink returns the target of resp's Link header with rel="next",
// resolved against the request's URL.
func nextLink(resp *http.Response) (string, bool) {
	for _, h := range resp.Header.Values("Link") {
		for _, link := range splitLinks(h) {
			target, attrs, ok := strings.Cut(link, ">")
			target, found := strings.CutPrefix(strings.TrimSpace(target), "<")
			if !ok || !found || !relNext(attrs) {
				continue
			}
			u, err := resp.Request.URL.Parse(target)
			if err != nil {
				continue
			}
			return u.String(), true
		}
	}
	return "", false
}

// splitLinks splits a Link header value at the commas between links, not
// at those inside a <URI> or a quoted string.
func splitLinks(h string) []string {
	var links []string
	start, inURI, inQuote := 0, false, false
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c == '<' && !inQuote:
			inURI = true
		case c == '>' && !inQuote:
			inURI = false
		case c == '"' && !inURI:
			inQuote = !inQuote
		case c == ',' && !inURI && !inQuote:
			links = append(links, h[start:i])
			start = i + 1
		}
	}
	return append(links, h[start:])
}

// relNext reports whether the parameters of a link (after its <URI>) hold
// rel="next": rel may be quoted or not and list several relation types.
func relNext(attrs string) bool {
	for _, param := range strings.Split(attrs, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(param), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(value), `"`)) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}
