package pager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An Endpoint says how to ask an HTTP API for a page of a listing and how to
// read the JSON it answers. [OffsetFetch], [TokenFetch] and [PageFetch] turn
// it into a [FetchFunc]; [Link] and [NDJSONStream] into a [Source]:
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
	// (PageFetch); per_page (Link, on the first request only).
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
	// (default "total_pages", PageFetch) is the number of pages.
	Total, HasMore, NextToken, TotalPages string

	// PagesFromZero says that the API numbers its first page 0, not 1
	// (PageFetch); Request.Page still counts from 1.
	PagesFromZero bool

	// MaxQuotaWait caps the wait for a spent rate-limit quota; default 1
	// minute. If the reset is further away, the request fails at once with
	// an error wrapping [ErrQuotaSpent], which is not retried.
	MaxQuotaWait time.Duration

	clock clock // tests replace it
}

// ErrQuotaSpent reports that an API's rate-limit quota is spent until
// further away than [Endpoint.MaxQuotaWait].
var ErrQuotaSpent = errors.New("pager: rate-limit quota spent")

// OffsetFetch returns a FetchFunc for [Offset] that asks e for a page with
// the query parameters limit and offset (or e's LimitParam and OffsetParam)
// and reads its items, Total and HasMore. It panics if e.URL is not a valid
// URL.
func OffsetFetch[T any](e Endpoint) FetchFunc[T] {
	c := newHTTPClient(e, "OffsetFetch", params{limit: "limit", offset: "offset"})
	return func(ctx context.Context, req Request) (Page[T], error) {
		q := c.query(req.Limit)
		c.set(q, c.e.OffsetParam, strconv.Itoa(req.Offset))
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// TokenFetch returns a FetchFunc for [Token] that asks e for a page with the
// query parameters pageSize and pageToken (or e's LimitParam and
// TokenParam; no token on the first request) and reads its items and
// NextToken, which may be a JSON string or number. It panics if e.URL is
// not a valid URL.
func TokenFetch[T any](e Endpoint) FetchFunc[T] {
	c := newHTTPClient(e, "TokenFetch", params{limit: "pageSize", token: "pageToken"})
	return func(ctx context.Context, req Request) (Page[T], error) {
		q := c.query(req.Limit)
		if req.Token != "" {
			c.set(q, c.e.TokenParam, req.Token)
		}
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// PageFetch returns a FetchFunc for [PageNumber] that asks e for a page with
// the query parameters page and per_page (or e's PageParam and LimitParam)
// and reads its items, Total, HasMore and TotalPages. It panics if e.URL is
// not a valid URL.
func PageFetch[T any](e Endpoint) FetchFunc[T] {
	c := newHTTPClient(e, "PageFetch", params{limit: "per_page", page: "page"})
	return func(ctx context.Context, req Request) (Page[T], error) {
		q := c.query(req.Limit)
		n := req.Page
		if c.e.PagesFromZero {
			n--
		}
		c.set(q, c.e.PageParam, strconv.Itoa(n))
		return getPage[T](ctx, c, c.url(q), req)
	}
}

// Link returns a Source for a listing whose responses name the next page
// in a Link header (RFC 8288, rel="next"), as GitHub's do. The first
// request asks for e.URL with the query parameter per_page (or e's
// LimitParam), each later one for the previous response's next link,
// resolved against its URL; a response without one is the last page. The
// body holds the items (a bare array unless e.Items says otherwise).
//
// The walk is a [Token] walk whose tokens are the URLs: a next link already
// visited (a server linking a page to itself) ends it with a [*PageError]
// wrapping [ErrRepeatedToken], and [StartToken] with a PageError's Token
// resumes it. It panics if e.URL is not a valid URL.
func Link[T any](e Endpoint, opts ...Option) Source[T] {
	c := newHTTPClient(e, "Link", params{limit: "per_page", link: true})
	cfg := newConfig(opts)
	first := c.url(c.query(cfg.limit()))
	fetch := func(ctx context.Context, req Request) (Page[T], error) {
		return getPage[T](ctx, c, req.Token, req)
	}
	// The first URL is the start token, so that a link back to it counts
	// as repeated; a StartToken among opts comes later and wins.
	return Token(fetch, append([]Option{StartToken(first)}, opts...)...)
}

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
		panic(fmt.Sprintf("pager: %s with Endpoint.URL %q: want an absolute URL", fn, e.URL))
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

// getPage fetches the page at u and decodes it.
func getPage[T any](ctx context.Context, c *httpClient, u string, req Request) (Page[T], error) {
	var p Page[T]
	resp, err := c.do(ctx, u, "application/json")
	if err != nil {
		return p, err
	}
	defer drainClose(resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return p, fmt.Errorf("pager: %s %s: reading the body: %w", c.method, u, err)
	}
	if err := decodePage(c, body, &p, req); err != nil {
		return Page[T]{}, fmt.Errorf("pager: %s %s: %w", c.method, u, err)
	}
	if c.style.link {
		p.Next, _ = nextLink(resp)
	}
	return p, nil
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
		return nil, fmt.Errorf("pager: %w", err)
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

// decodePage fills p from body, c's JSON answer to req.
func decodePage[T any](c *httpClient, body []byte, p *Page[T], req Request) error {
	body = bytes.TrimSpace(body)
	if c.e.Items == "" {
		if len(body) > 0 && body[0] == '{' {
			return fmt.Errorf("the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (%s)", fieldList(body))
		}
		if err := json.Unmarshal(body, &p.Items); err != nil {
			return fmt.Errorf("decoding the items: %w", err)
		}
		return nil
	}
	if len(body) > 0 && body[0] == '[' {
		return fmt.Errorf("the body is a JSON array, not an object with the field %q: leave Endpoint.Items empty", c.e.Items)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("decoding the body: %w", err)
	}
	items, ok := field(obj, c.e.Items)
	if !ok {
		return fmt.Errorf("the body has no field %q (%s)", c.e.Items, fieldList(body))
	}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return fmt.Errorf("decoding the items in %q: %w", c.e.Items, err)
	}
	var err error
	read := func(name string, into func(json.RawMessage) error) {
		if raw, ok := field(obj, name); ok && err == nil && !isNull(raw) {
			if e := into(raw); e != nil {
				err = fmt.Errorf("decoding %q: %w", name, e)
			}
		}
	}
	read(c.e.Total, func(raw json.RawMessage) error { return json.Unmarshal(raw, &p.Total) })
	read(c.e.HasMore, func(raw json.RawMessage) error {
		var more bool
		e := json.Unmarshal(raw, &more)
		p.Last = p.Last || !more
		return e
	})
	if c.style.token != "" {
		read(c.e.NextToken, func(raw json.RawMessage) error { return decodeToken(raw, &p.Next) })
	}
	if c.style.page != "" {
		read(c.e.TotalPages, func(raw json.RawMessage) error {
			var n int
			e := json.Unmarshal(raw, &n)
			p.Last = p.Last || req.Page >= n
			return e
		})
	}
	return err
}

// field returns the value at path, a dotted path of field names, in obj.
func field(obj map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	if path == "-" {
		return nil, false
	}
	name, rest, nested := strings.Cut(path, ".")
	raw, ok := obj[name]
	if !ok || !nested {
		return raw, ok
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(raw, &inner) != nil {
		return nil, false
	}
	return field(inner, rest)
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// decodeToken decodes a page token: a JSON string, or a number kept as
// written.
func decodeToken(raw json.RawMessage, tok *string) error {
	if len(raw) > 0 && raw[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return err
		}
		*tok = n.String()
		return nil
	}
	return json.Unmarshal(raw, tok)
}

// fieldList describes the top-level fields of body, a JSON object, for an
// error message.
func fieldList(body []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return "the body is not valid JSON"
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	return "its fields: " + strings.Join(names, ", ")
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
