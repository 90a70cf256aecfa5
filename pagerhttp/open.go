package pagerhttp

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Open sends one request for target (e.URL if "") as the walks send
// theirs — e.Header to e.URL's origin only, redirects included, and a
// target elsewhere refused with an [*OriginError], as a next URL is; after
// the wait for the quota's reset that an earlier answer reported to
// e.Quota, if set, to which this answer reports in turn; within
// e.HeaderTimeout — and returns the
// response if its status is 2xx, else an [*HTTPError]. An error says, by
// a Retryable method, whether asking again may heal it, as a FetchFunc's
// errors do, so that a [pager.Retry] policy can be applied to Open. It is
// for a caller that must see a response before it knows how to walk the
// listing (pagecat detecting the style).
//
// The request asks for accept (unless e.Header sets Accept) and for
// Accept-Encoding: identity (unless e.Header sets it): a server that
// compresses holds back a live stream until its compressor's buffer
// fills. A body gzipped nonetheless is decompressed. The body reads under
// e.IdleTimeout, with no bound on its size, which the caller applies as
// the body turns out to be a page ([Endpoint.MaxBodySize]) or a stream;
// the caller closes it, which ends the request. ctx bounds the whole
// exchange, the body's reads included.
func Open(ctx context.Context, e Endpoint, target, accept string) (*http.Response, error) {
	c := newHTTPClient(e, "Open", params{limit: "-", offset: "-", token: "-", page: "-"})
	if target == "" {
		target = e.URL
	}
	return c.open(ctx, target, accept)
}

// NextLink returns the target of the Link header in h with rel="next",
// resolved against base, as [Link] reads it (a comma in a <URI> or in a
// quoted parameter does not split links), and whether h has one. It is
// for a caller that reads a response itself, after [Open].
func NextLink(h http.Header, base *url.URL) (string, bool) {
	return nextLink(&http.Response{Header: h, Request: &http.Request{URL: base}})
}

// HeaderTotal returns the listing's total as the headers h of a response
// report it, as the walks read it with [Endpoint.TotalHeader] set to
// name (X-Total-Count, else a Content-Range of items, if ""; none if
// "-"), or 0 if they report none. It is for a caller that reads a
// response itself, after [Open].
func HeaderTotal(h http.Header, name string) int { return headerTotal(h, name) }

// open is Open, on c.
func (c *httpClient) open(ctx context.Context, u, accept string) (*http.Response, error) {
	resp, err := c.do(ctx, u, accept, -1, identity)
	if err != nil {
		return nil, err
	}
	if err := decompress(resp); err != nil {
		resp.Body.Close()
		return nil, c.fail(u, err)
	}
	return resp, nil
}

// identity asks for the body as the server writes it, unless the request
// says otherwise already.
func identity(req *http.Request) {
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
}

// decompress replaces the body of resp, to a request that set
// Accept-Encoding itself (which Go's Transport then leaves alone), by its
// decompression if the server gzipped it anyway. Another encoding is an
// error.
func decompress(resp *http.Response) error {
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("the body says Content-Encoding: gzip, but is not: %w", err)
		}
		resp.Body = gzipBody{zr, resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		return nil
	default:
		return fmt.Errorf("the body has Content-Encoding %q, which was not asked for", excerpt(enc))
	}
}

// gzipBody reads a gzipped body decompressed, and closes the body.
type gzipBody struct {
	*gzip.Reader
	body io.Closer
}

func (g gzipBody) Close() error { return g.body.Close() }
