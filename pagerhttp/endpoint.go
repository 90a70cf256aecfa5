package pagerhttp

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// An Endpoint says how to ask an HTTP API for a page of a listing and how to
// read the JSON it answers. [OffsetFetch], [TokenFetch] and [PageNumberFetch] turn
// it into a [pager.FetchFunc]; [Link] and [NDJSONStream] into a [pager.Source]:
//
//	ep := pagerhttp.Endpoint{
//		URL:    "https://api.example.com/v1/runs?status=failed",
//		Header: http.Header{"Authorization": {"Bearer " + token}},
//		Items:  "runs", // {"runs": [...], "total": 1500}
//	}
//	src := pager.Offset(pagerhttp.OffsetFetch[Run](ep), pager.MaxPageSize(1000))
//
// Every field but URL is optional. A response with a status other than 2xx
// is an [*HTTPError]. Response bodies are always read to their end (up to a
// bound) and closed, so that connections are reused.
//
// When a response says that the rate-limit quota is spent
// (RateLimit-Remaining: 0 and RateLimit-Reset, or GitHub's
// X-RateLimit-Remaining and X-RateLimit-Reset), the next request waits for
// the reset instead of collecting a 429; after a 429 or 503 with a
// Retry-After, every request to come waits as long (the other fetches of
// a [pager.Prefetch] too, not only the retry). The wait ends early when
// the walk's context is done. A Reset under 10^9 counts seconds from now,
// a larger one seconds since 1970; either may have a decimal fraction
// (2.5, 1470173023.123). Endpoints that spend one quota share
// what their answers say of it through a [Quota].
type Endpoint struct {
	// URL is the listing's URL with any fixed query parameters
	// (?status=failed); the page's parameters are added to them. Its
	// origin — scheme, host and port — is where Header may go.
	URL    string
	Method string // default "GET"

	// Header is sent with every request to URL's origin (Authorization,
	// X-Api-Key, …), and to the hosts in AllowHosts; to nowhere else. A
	// next URL (a Link header, a [pager.StartToken] given to [Link]) on
	// another origin, a step down from https to http, or a scheme other
	// than http(s) ends the walk with an [*OriginError] that is not
	// retried. A redirect to another origin is followed without any of
	// Header and without a Referer; one from https down to http is
	// refused with an *OriginError.
	Header http.Header

	// AllowHosts lists the other hosts that next URLs may point to, and
	// that Header is sent to: "api2.example.com" on the default port of
	// the URL's scheme, "api2.example.com:8443" on that port. A step down
	// from https to http is refused even to them. An upgrade from http to
	// https on URL's host and port needs no entry. The constructors panic
	// on an entry that is not a host (a URL, say).
	AllowHosts []string

	// Client sends the requests. If nil, a client of this package's with
	// a connect timeout of 30s and a TLS handshake timeout of 10s, not
	// http.DefaultClient. Either way, HeaderTimeout and IdleTimeout apply,
	// and a redirect to another origin drops Header and a cursor sent in a
	// header, and is refused if it would resend Body (a wrapper around the
	// Client's CheckRedirect does it). Do not set a Client.Timeout with
	// [NDJSONStream]: it bounds a whole stream, however healthy.
	Client *http.Client

	// The query parameters that carry the request, "-" to send one not at
	// all. The defaults depend on the style: limit and offset
	// (OffsetFetch); pageSize and pageToken (TokenFetch); per_page and page
	// (PageNumberFetch); per_page (Link, on the first request only).
	LimitParam, OffsetParam, TokenParam, PageParam string

	// Items names the field of the JSON body that holds the items ("data");
	// a dotted path ("result.items") reaches into nested objects. If Items
	// is "" (or "-", as for the fields below), the body must be a bare JSON
	// array of items.
	Items string

	// The fields of the body read when present, "-" to ignore one; dotted
	// paths as for Items. Total (default "total") is the number of items
	// in the listing; HasMore (default "has_more") false means the last
	// page; NextToken (default "nextPageToken", TokenFetch) is the next
	// page's token, absent, null or "" on the last page; TotalPages
	// (default "total_pages", PageNumberFetch) is the number of pages. A
	// Total or TotalPages of 0 or less means unknown.
	Total, HasMore, NextToken, TotalPages string

	// PagesFromZero says that the API numbers its first page 0, not 1
	// (PageNumberFetch); Request.Page still counts from 1.
	PagesFromZero bool

	// MaxQuotaWait caps the wait for a spent rate-limit quota; default 1
	// minute, < 0 for no wait at all. If the reset is further away, the
	// request fails at once with an error wrapping [ErrQuotaSpent], which
	// is not retried.
	MaxQuotaWait time.Duration

	// Quota, if not nil, is the rate-limit quota that this Endpoint's
	// requests share with those of other Endpoints and [Open] calls that
	// have it; see [Quota]. If nil, each FetchFunc or Source made from the
	// Endpoint paces its requests by its own answers.
	Quota *Quota

	// MaxBodySize bounds the body of a page, counted after decompression;
	// default [DefaultMaxBodySize] (64 MiB), < 0 for no bound. A longer
	// body fails, as soon as the bound is passed, with an error wrapping
	// [ErrBodyTooLarge], not retried. An NDJSON stream has no size bound
	// (its lines have [pager.MaxLineSize]).
	MaxBodySize int64

	// HeaderTimeout bounds the wait from sending a request (connecting
	// included) to its response's headers; default [DefaultHeaderTimeout]
	// (1 minute), < 0 for none. IdleTimeout bounds the wait for the next
	// bytes of a response body while it is read; default
	// [DefaultIdleTimeout] (1 minute), < 0 for none. Neither bounds a whole
	// exchange: a stream that keeps sending runs as long as it does, and
	// time spent in the loop body does not count. Their errors wrap
	// [ErrHeaderTimeout] and [ErrIdleTimeout], and are retried as
	// [pager.Retry] says.
	HeaderTimeout, IdleTimeout time.Duration

	clock clock // tests replace it

	// The styles of styles.go: cursors anywhere, request bodies, totals
	// in headers, change feeds.

	// Cursor says where a response holds the next page's cursor (or URL,
	// for NextURL); SendCursor where a request carries it. The defaults
	// are BodyField(NextToken) and Query(TokenParam); NextURL's Cursor is
	// BodyField("next"). See [Place].
	Cursor, SendCursor Place

	// Body is the JSON object sent as every request's body, with the
	// method POST unless Method says otherwise. The page size goes in its
	// field at LimitParam (a dotted path; none by default), and the cursor
	// where SendCursor says.
	Body string

	// TotalHeader names the response header with the listing's total,
	// which OffsetFetch and PageNumberFetch read when the body reports
	// none: by default X-Total-Count, else the total after the slash of a
	// Content-Range ("0-99/1234", as PostgREST sends); "-" for none.
	TotalHeader string

	// Pending names the body field of a change feed (ChangesFetch) that
	// counts the changes after the page; 0 ends the walk. Default
	// "pending".
	Pending string
}

// ErrQuotaSpent reports that an API's rate-limit quota is spent until
// further away than [Endpoint.MaxQuotaWait].
var ErrQuotaSpent = errors.New("pagerhttp: rate-limit quota spent")

// params are the query parameter names of a style; link is set for Link.
type params struct {
	limit, offset, token, page string
	link                       bool
	byOffset                   bool // OffsetFetch
}

// httpClient is what a FetchFunc made from an Endpoint shares between its
// calls, which may be concurrent (under Prefetch).
type httpClient struct {
	e      Endpoint // with the defaults filled in
	style  params
	base   *url.URL
	method string
	client *http.Client
	origin origin
	pace   pacer
	pages  pageHashes // OffsetFetch: to tell a server that ignores the offset
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
	defDuration(&e.MaxQuotaWait, time.Minute)
	defDuration(&e.HeaderTimeout, DefaultHeaderTimeout)
	defDuration(&e.IdleTimeout, DefaultIdleTimeout)
	if e.MaxBodySize == 0 {
		e.MaxBodySize = DefaultMaxBodySize
	}
	c := &httpClient{e: e, style: p, base: base, method: e.Method, origin: newOrigin(base, e.AllowHosts)}
	if err := c.origin.check(base); err != nil {
		panic(fmt.Sprintf("pagerhttp: %s with Endpoint.URL %q: want an http or https URL", fn, e.URL))
	}
	// A copy of the Client, sharing its Transport, with the origin rule
	// for redirects.
	client := http.Client{Transport: defaultTransport}
	if e.Client != nil {
		client = *e.Client
	}
	private := slices.Collect(maps.Keys(e.Header))
	if e.SendCursor.kind == inHeader {
		private = append(private, e.SendCursor.names...)
	}
	client.CheckRedirect = c.origin.redirectPolicy(private, client.CheckRedirect)
	c.client = &client
	c.pages.init()
	c.pace = pacer{max: e.MaxQuotaWait, clock: e.clock.orReal(), q: e.Quota}
	if c.pace.q == nil {
		c.pace.q = new(Quota)
	}
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

func defDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
