package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// Detection: with no -style, pagecat asks for the URL as it stands and
// reads the answer for how the listing goes on (detect). It checks its
// guess on the second page, which must hold other items than the first,
// or end the listing (verify); the walk then gets both answers again from
// memory (a replay), so that no page is asked for twice.

// A plan is what detection found: o's flags, set where the user left them
// empty, and how to say so (-explain).
type plan struct {
	style  string
	how    string   // where the next page comes from
	end    string   // what ends the walk
	urls   []string // the walk's first requests, as it sends them
	tried  []string // guesses the second page disproved
	answer *answer  // the first answer
}

// An answer is a 2xx response detection read: a page, whole, or a stream
// from its first byte.
type answer struct {
	url    string // as asked for
	header http.Header
	body   []byte        // a page's body
	stream io.ReadCloser // a stream's body, from its first byte; nil for a page

	obj   map[string]json.RawMessage // a page that is a JSON object; nil for an array
	items []json.RawMessage          // a page's items, once known
}

// detect asks for o's URL and sets o's flags that the user left empty
// from the answer. Unless -explain, it asks for the second page too, to
// check the guess, and registers both answers with rp for the walk.
func detect(ctx context.Context, client *http.Client, o *options, rp *replay) (*plan, error) {
	first := walkURL(o.url, map[string]string{o.limitParam: limitValue(o)})
	a, err := get(ctx, client, o, first, true)
	var he *pagerhttp.HTTPError
	if errors.As(err, &he) && (he.StatusCode == http.StatusBadRequest || he.StatusCode == http.StatusMethodNotAllowed || he.StatusCode == http.StatusUnsupportedMediaType) {
		return nil, fmt.Errorf("%w; pagecat asked with GET: an API that takes a POST body (GraphQL, a search) needs its flags: -graphql FILE -connection PATH, or -body JSON -token-field FIELD (pagecat -h, How to page: cursor styles)", err)
	}
	if err != nil {
		return nil, err
	}
	p := &plan{answer: a}
	if a.stream != nil {
		p.style, p.how, p.end = "ndjson", "one response, a stream of JSON lines", "the stream's end"
		o.style = "ndjson"
		p.urls = []string{first}
		if !o.explain {
			rp.add(o.walkURL("", 0), a)
		}
		return p, nil
	}
	given := o.style != ""
	g, err := guess(a, o)
	if err != nil {
		return nil, fmt.Errorf("detecting how %s pages: %w", o.url, err)
	}
	if given {
		o.items = g.items
	} else {
		g.apply(o)
	}
	p.style, p.how, p.end = o.style, g.how, g.end
	p.urls = []string{first}
	if given {
		// The walk asks for its first page as -style says, at its page
		// size: not the page detection got, whose size was the server's.
		return p, nil
	}
	second := g.second(o, a)
	switch {
	case second == nil: // the first page is the last
		p.urls = append(p.urls, "")
	case o.explain:
		_, u := second(g.candidates[0])
		p.urls = append(p.urls, u)
		if len(g.candidates) > 1 && g.flag != "" {
			p.how += fmt.Sprintf(" (a guess: an export tries %s in turn)", strings.Join(g.candidates, ", "))
		}
		return p, nil
	case o.take > 0 && len(a.items) >= o.take:
		_, u := second(g.candidates[0])
		p.urls = append(p.urls, u) // not needed: -take is in the first page
	default:
		b, u, err := verify(ctx, client, o, g, a, second, p)
		if err != nil {
			return nil, err
		}
		p.urls = append(p.urls, u)
		p.how = g.how // as the verified candidate says
		if b != nil {
			rp.add(u, b)
		}
	}
	if !o.explain {
		rp.add(o.walkURL(o.style, 1), a)
	}
	return p, nil
}

// verify asks for the second page under each of g's candidates for the
// parameter that moves through the listing, until one brings other items
// than the first page, or an end the listing allows; it sets o's flag to
// that candidate and returns its answer and URL. With none, it fails
// naming the flags to set.
func verify(ctx context.Context, client *http.Client, o *options, g *guessed, a *answer, second func(string) (string, string), p *plan) (*answer, string, error) {
	var why []string
	for _, cand := range g.candidates {
		flag, u := second(cand)
		b, err := get(ctx, client, o, u, false)
		var he *pagerhttp.HTTPError
		var oe *pagerhttp.OriginError
		switch {
		case errors.As(err, &oe):
			// A next URL elsewhere: the walk refuses it after the first
			// page, and says how to allow it.
			return nil, u, nil
		case errors.As(err, &he) && he.StatusCode/100 == 4 && len(g.candidates) > 1 && he.StatusCode != http.StatusTooManyRequests:
			why = append(why, fmt.Sprintf("%s=%s: %s", cand, queryValue(u, cand), excerpt(he.Status, 60)))
			continue
		case err != nil:
			return nil, "", err
		}
		if err := g.itemsOf(b); err != nil {
			return nil, "", fmt.Errorf("the second page, %s: %w", redactURL(u), err)
		}
		asked := fmt.Sprintf("%s=%s", cand, queryValue(u, cand))
		if cand == "" {
			asked = "the next page, " + redactURL(u) + ","
		}
		switch {
		case len(b.items) > 0 && len(a.items) > 0 && bytes.Equal(b.items[0], a.items[0]):
			why = append(why, asked+" repeats the first page")
			continue
		case len(b.items) == 0 && g.emptyDoubt:
			// An empty second page ends the listing, or says that the
			// server read the parameter as something else (a filter).
			// Asked from the start with it, a server that pages by it
			// answers the first page again.
			ok, err := g.probe(ctx, client, o, a, cand)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				why = append(why, fmt.Sprintf("%s is empty, and %s=%s does not start with the first page's first item", asked, cand, g.startValue))
				continue
			}
		}
		if flag != "" {
			_ = o.fs.Set(flag, cand)
		}
		if l := limitFor(cand); l != "" && flag == "offset-param" && o.limitParam == "" {
			_ = o.fs.Lookup("limit-param").Value.Set(l)
		}
		g.chose(cand)
		p.tried = why
		return b, u, nil
	}
	advice := g.advice
	switch h := cursorHeader(a.header); {
	case h != "":
		advice += fmt.Sprintf("; its header %s looks like the next page's cursor: add -cursor-header %s -token-param NAME (the parameter it goes back in)", h, h)
	case has(a.obj, "last_seq"):
		advice += "; its \"last_seq\" looks like a change feed's: add -style changes"
	case g.more != "":
		advice += fmt.Sprintf("; %q is true, but the body names no next page: the API may page by a field of the last item (a keyset: add -keyset FIELD -token-param NAME, as -keyset id -token-param starting_after for Stripe)", g.more)
	case g.style == "offset" && g.total == 0 && g.allRepeat(why):
		advice += fmt.Sprintf("; if the URL is a file, or a listing of one page, its %d items are all of it: add -style link (which follows Link headers only) to export them", len(a.items))
	}
	return nil, "", fmt.Errorf("detecting how %s pages: it looks like %s, but the second page did not confirm it (%s); %s",
		o.url, g.what, strings.Join(why, "; "), advice)
}

// cursorHeader returns the name of a header of h that looks like it holds
// the next page's cursor (X-Next-Cursor, X-Nomad-NextToken,
// x-ms-continuation-NextPartitionKey), or "".
func cursorHeader(h http.Header) string {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		n := strings.ToLower(name)
		if n != "link" && (strings.Contains(n, "next") || strings.Contains(n, "continuation") || strings.Contains(n, "cursor")) {
			return name
		}
	}
	return ""
}

// allRepeat reports whether every candidate brought the first page again.
func (g *guessed) allRepeat(why []string) bool {
	for _, w := range why {
		if !strings.HasSuffix(w, "repeats the first page") {
			return false
		}
	}
	return len(why) > 0
}

// queryValue returns the value of the query parameter name in u.
func queryValue(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return parsed.Query().Get(name)
}

// limitValue is the page size the walk asks for.
func limitValue(o *options) string {
	n := o.pageSize
	if o.maxPageSize > 0 {
		n = min(n, o.maxPageSize)
	}
	return strconv.Itoa(n)
}

// walkURL returns u with the query parameters set ("" or "-" names none),
// written as pagerhttp writes the URLs it asks for: the query sorted, a
// path of at least "/".
func walkURL(u string, set map[string]string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	if parsed.Path == "" {
		parsed.Path = "/"
	}
	q := parsed.Query()
	for name, v := range set {
		if name != "" && name != "-" {
			q.Set(name, v)
		}
	}
	parsed.RawQuery = q.Encode()
	parsed.Fragment, parsed.RawFragment = "", ""
	return parsed.String()
}

// walkURL returns the URL of page n (1, 2) of the walk of o in style, as
// its source sends it; style "" is an NDJSON stream from its start.
func (o *options) walkURL(style string, n int) string {
	set := map[string]string{}
	switch style {
	case "", "ndjson":
		set[o.offsetParam] = "0" // no offset parameter unless -offset-param
	case "offset":
		set[or(o.offsetParam, "offset")] = "0"
	case "page":
		first := 1
		if o.pagesFromZero {
			first = 0
		}
		set[or(o.pageParam, "page")] = strconv.Itoa(first + n - 1)
	}
	if style != "" && style != "ndjson" {
		save := o.style
		o.style = style
		set[o.limitName()] = limitValue(o)
		o.style = save
	}
	return walkURL(o.url, set)
}

// get asks for u, as a page (first: or a stream), with -retry's policy,
// within pagecat's bounds.
func get(ctx context.Context, client *http.Client, o *options, u string, first bool) (*answer, error) {
	ep := pagerhttp.Endpoint{
		URL: o.url, Header: o.header, Client: client,
		HeaderTimeout: o.timeout, IdleTimeout: o.timeout,
		AllowHosts: o.allowHosts, MaxBodySize: o.maxBodySize,
	}
	fetch := func(ctx context.Context, _ pager.Request) (pager.Page[*answer], error) {
		resp, err := pagerhttp.Open(ctx, ep, u, "application/json")
		if err != nil {
			return pager.Page[*answer]{}, err
		}
		a, err := read(resp, u, o.maxBodySize, first)
		return pager.Page[*answer]{Items: []*answer{a}, Last: true}, err
	}
	// A walk of one page: the policy, its backoff and Retry-After, as
	// every page of the walk has them.
	src := pager.Token(fetch, pager.Retry(pager.RetryPolicy{Attempts: o.retry}))
	for p, err := range src.Pages(ctx) {
		if err != nil {
			return nil, detectError(err)
		}
		return p.Items[0], nil
	}
	return nil, errors.New("pagecat: no answer") // cannot happen: a walk yields a page or an error
}

// detectError is err, a walk's, as detection says it.
func detectError(err error) error {
	var pe *pager.PageError
	if errors.As(err, &pe) {
		if pe.Attempts > 1 {
			return fmt.Errorf("%w (after %d attempts)", pe.Err, pe.Attempts)
		}
		return pe.Err
	}
	return err
}

// readError is an error reading an answer's body: retryable if the body
// was cut short.
type readError struct {
	err       error
	retryable bool
}

func (e *readError) Error() string   { return e.err.Error() }
func (e *readError) Unwrap() error   { return e.err }
func (e *readError) Retryable() bool { return e.retryable }

// read reads resp, the answer to a request for u: a page, of at most max
// bytes, or if stream, a stream of JSON lines (by its Content-Type, or by
// a second JSON value after the first), of which it reads no more than the
// first value and the first byte of the second. It closes resp's body,
// but a stream's.
func read(resp *http.Response, u string, limit int64, stream bool) (a *answer, err error) {
	a = &answer{url: u, header: resp.Header}
	if stream && isNDJSON(resp.Header.Get("Content-Type")) {
		a.stream = resp.Body
		return a, nil
	}
	defer func() {
		if a == nil || a.stream == nil {
			resp.Body.Close()
		}
	}()
	fail := func(err error, retryable bool) (*answer, error) {
		return nil, &readError{fmt.Errorf("GET %s: %w", redactURL(u), err), retryable}
	}
	lim := &bounded{r: resp.Body, n: limit}
	br := bufio.NewReader(lim)
	dec := json.NewDecoder(br)
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, errTooLarge):
			return fail(fmt.Errorf("%w: more than %d bytes (-max-body-size)", pagerhttp.ErrBodyTooLarge, limit), false)
		case errors.Is(err, io.EOF):
			return fail(errors.New("the body is empty, not JSON"), false)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fail(errors.New("the body ends inside its JSON: cut short"), true)
		case errors.As(err, &se):
			return fail(fmt.Errorf("the body is not JSON (%v): it starts %q", err, start(dec, br)), false)
		}
		var r interface{ Retryable() bool }
		return fail(err, !errors.As(err, &r) || r.Retryable())
	}
	rest := io.MultiReader(dec.Buffered(), br)
	var c [1]byte
	var ws []byte
	for {
		_, err := io.ReadFull(rest, c[:])
		if err == io.EOF {
			a.body = first // a page: one JSON value
			return a, nil
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return fail(fmt.Errorf("%w: more than %d bytes (-max-body-size)", pagerhttp.ErrBodyTooLarge, limit), false)
			}
			return fail(err, true)
		}
		if !isSpace(c[0]) {
			break
		}
		ws = append(ws, c[0])
	}
	if !stream || !bytes.ContainsRune(ws, '\n') || (c[0] != '{' && c[0] != '[') {
		return fail(fmt.Errorf("the body holds more after its JSON value: %q", c[:]), false)
	}
	// A stream: its first value, a line's end, and the rest as it comes,
	// with no bound on its size (its lines have pager's).
	lim.n = -1
	a.stream = readCloser{io.MultiReader(bytes.NewReader(append(first, '\n')), bytes.NewReader(c[:]), rest), resp.Body}
	return a, nil
}

// start returns the first bytes of a body that did not decode.
func start(dec *json.Decoder, br *bufio.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(io.MultiReader(dec.Buffered(), br), 40))
	return string(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

type readCloser struct {
	io.Reader
	io.Closer
}

var errTooLarge = errors.New("too large")

// bounded reads at most n bytes of r (n < 0: all), and fails past them.
type bounded struct {
	r io.Reader
	n int64
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.n < 0 {
		return b.r.Read(p)
	}
	if b.n == 0 {
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// isNDJSON reports whether a Content-Type names a stream of JSON lines.
func isNDJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines", "application/json-seq":
		return true
	}
	return false
}

// given reports whether the flag name was set on the command line.
func (o *options) given(name string) bool {
	set := false
	o.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
