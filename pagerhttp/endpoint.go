package pagerhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// An Endpoint says how to ask an HTTP API for a page of a listing and how to
// read the JSON it answers. [OffsetFetch], [TokenFetch] and [PageNumberFetch] turn
// it into a [pager.FetchFunc]; [Link] and [NDJSONStream] into a [pager.Source]:
//
//	ep := pager.Endpoint{
//		URL:    "https://api.example.com/v1/runs?status=failed",
//		Header: http.Header{"Authorization": {"Bearer " + token}},
//		Items:  "runs", // {"runs": [...], "total": 1500}
//	}
//	src := pager.Offset(pager.OffsetFetch[Run](ep), pager.MaxPageSize(1000))
//
// Every field but URL is optional. A response with a status other than 2xx
// is an [*HTTPError]. Response bodies are always read to their end (up to a
// bound) and closed, so that connections are reused.
//
// When a response says that the rate-limit quota is spent
// (RateLimit-Remaining: 0 and RateLimit-Reset, or GitHub's
// X-RateLimit-Remaining and X-RateLimit-Reset), the next request waits for
// the reset instead of collecting a 429; the wait ends early when the
// walk's context is done. A Reset under 10^9 counts seconds from now, a
// larger one seconds since 1970.
type Endpoint struct {
	// URL is the listing's URL with any fixed query parameters
	// (?status=failed); the page's parameters are added to them.
	URL    string
	Method string       // default "GET"
	Header http.Header  // sent with every request: Authorization, …
	Client *http.Client // default http.DefaultClient

	// The query parameters that carry the request, "-" to send one not at
	// all. The defaults depend on the style: limit and offset
	// (OffsetFetch); pageSize and pageToken (TokenFetch); per_page and page
	// (PageNumberFetch); per_page (Link, on the first request only).
	LimitParam, OffsetParam, TokenParam, PageParam string

	// Items names the field of the JSON body that holds the items ("data");
	// a dotted path ("result.items") reaches into nested objects. If Items
	// is "", the body must be a bare JSON array of items.
	Items string

	// The fields of the body read when present, "-" to ignore one; dotted
	// paths as for Items. Total (default "total") is the number of items
	// in the listing; HasMore (default "has_more") false means the last
	// page; NextToken (default "nextPageToken", TokenFetch) is the next
	// page's token, absent, null or "" on the last page; TotalPages
	// (default "total_pages", PageNumberFetch) is the number of pages.
	Total, HasMore, NextToken, TotalPages string

	// PagesFromZero says that the API numbers its first page 0, not 1
	// (PageNumberFetch); Request.Page still counts from 1.
	PagesFromZero bool

	// MaxQuotaWait caps the wait for a spent rate-limit quota; default 1
	// minute. If the reset is further away, the request fails at once with
	// an error wrapping [ErrQuotaSpent], which is not retried.
	MaxQuotaWait time.Duration

	clock clock // tests replace it
}

// ErrQuotaSpent reports that an API's rate-limit quota is spent until
// further away than [Endpoint.MaxQuotaWait].
var ErrQuotaSpent = errors.New("pagerhttp: rate-limit quota spent")

// params are the query parameter names of a style; link is set for Link.
type params struct {
	limit, offset, token, page string
	link                       bool
}

// httpClient is what a FetchFunc made from an Endpoint shares between its
// calls, which may be concurrent (under Prefetch).
type httpClient struct {
	e      Endpoint // with the defaults filled in
	style  params
	base   *url.URL
	method string
	client *http.Client
	pace   pacer
}

func newHTTPClient(e Endpoint, fn string, p params) *httpClient {
	base, err := url.Parse(e.URL)
	if err != nil || e.URL == "" || !base.IsAbs() {
		panic(fmt.Sprintf("pagerhttp: %s with Endpoint.URL %q: want an absolute URL", fn, e.URL))
	}
	if base.Path == "" {
		base.Path = "/" // as a next link to it would be written
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&e.LimitParam, p.limit)
	def(&e.OffsetParam, p.offset)
	def(&e.TokenParam, p.token)
	def(&e.PageParam, p.page)
	def(&e.Method, http.MethodGet)
	def(&e.Total, "total")
	def(&e.HasMore, "has_more")
	def(&e.NextToken, "nextPageToken")
	def(&e.TotalPages, "total_pages")
	if e.MaxQuotaWait == 0 {
		e.MaxQuotaWait = time.Minute
	}
	c := &httpClient{e: e, style: p, base: base, method: e.Method, client: e.Client}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	c.pace = pacer{max: e.MaxQuotaWait, clock: e.clock.orReal()}
	return c
}

// query returns the base URL's query with the page size set.
func (c *httpClient) query(limit int) url.Values {
	q := c.base.Query()
	c.set(q, c.e.LimitParam, strconv.Itoa(limit))
	return q
}

func (c *httpClient) set(q url.Values, name, value string) {
	if name != "-" && name != "" {
		q.Set(name, value)
	}
}

func (c *httpClient) url(q url.Values) string {
	u := *c.base
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends a request for u, after waiting for the rate-limit quota if it
// is spent, and returns the response if its status is 2xx. Otherwise it
// returns an *HTTPError, having drained and closed the body.
func (c *httpClient) do(ctx context.Context, u, accept string) (*http.Response, error) {
	if err := c.pace.wait(ctx, c.method, u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("pagerhttp: %w", err)
	}
	req.Header = c.e.Header.Clone()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err // a *url.Error: it names the method and URL
	}
	c.pace.observe(resp.Header)
	if resp.StatusCode/100 != 2 {
		defer drainClose(resp.Body)
		return nil, newHTTPError(req, resp, c.pace.clock.now())
	}
	return resp, nil
}

// drainBound is how much of a body is read, past what was used of it, to
// let its connection be reused; a longer body is closed unread.
const drainBound = 256 << 10

// drainClose reads the rest of body, up to drainBound, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainBound)
	body.Close()
}
