package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
//
// Here is the flow and the second page; answer.go reads the answers,
// guess.go the first page's items and end signals, nextpage.go each
// style's next page, object.go a body's fields by dotted path, replay.go
// hands the answers to the walk.

// A plan is what detection found: o's flags, set where the user left them
// empty, and how to say so (-explain).
type plan struct {
	style  string
	how    string   // where the next page comes from
	end    string   // what ends the walk
	urls   []string // the walk's first requests, as it sends them
	tried  []string // guesses the second page disproved
	answer *answer  // the first answer

	// answered says that the walk's every request is answered from
	// detection's memory: a stream, or a first page that is the last.
	answered bool
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
			if k := o.walkURL("", 0); startsAsAsked(k, first, o.limitParam) {
				rp.add(k, a)
				p.answered = true
			} else {
				a.stream.Close() // the walk asks for the stream from its start
			}
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
	if k := o.walkURL(o.style, 1); !o.explain && startsAsAsked(k, first, o.limitName()) {
		rp.add(k, a)
		p.answered = second == nil
	}
	return p, nil
}

// startsAsAsked reports whether the walk's first request, for u, asks for
// what detection's, for asked, did: the same URL, but for the parameters
// the walk adds at their first values (?offset=0, ?page=1) and the page
// size's, limitParam, which the walk sets anew. A URL that set one of them otherwise (?page=3, as
// copied from a browser) asked for a later page than the walk's first.
func startsAsAsked(u, asked, limitParam string) bool {
	pu, err := url.Parse(normal(u))
	if err != nil {
		return false
	}
	pa, err := url.Parse(normal(asked))
	if err != nil {
		return false
	}
	qu, qa := pu.Query(), pa.Query()
	pu.RawQuery, pa.RawQuery = "", ""
	if pu.String() != pa.String() {
		return false
	}
	for name, values := range qa {
		if name != limitParam && !slices.Equal(qu[name], values) {
			return false
		}
	}
	return true
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
			why = append(why, fmt.Sprintf("%s=%s: %s", cand, excerpt(queryValue(u, cand), 40), excerpt(he.Status, 60)))
			continue
		case err != nil:
			return nil, "", err
		}
		if err := g.itemsOf(b); err != nil {
			return nil, "", fmt.Errorf("the second page, %s: %w", redactURL(u), err)
		}
		asked := fmt.Sprintf("%s=%s", cand, excerpt(queryValue(u, cand), 40))
		if cand == "" {
			asked = "the next page, " + excerpt(redactURL(u), 200) + ","
		}
		reason, err := g.disproves(ctx, client, o, a, b, cand)
		if err != nil {
			return nil, "", err
		}
		if reason != "" {
			why = append(why, asked+reason)
			continue
		}
		if next := g.loops(a, b); next != "" {
			return nil, "", fmt.Errorf("detecting how %s pages: the second page, %s, names as the next page %q, where the walk has been: the server's next page does not move",
				o.url, strings.TrimSuffix(asked, ","), excerpt(next, 200))
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
	return nil, "", g.unconfirmed(o, a, why)
}

// disproves returns why b, the second page asked for with the parameter
// cand, disproves the guess (" repeats the first page"), or "".
func (g *guessed) disproves(ctx context.Context, client *http.Client, o *options, a, b *answer, cand string) (string, error) {
	switch {
	case len(b.items) > 0 && len(a.items) > 0 && (bytes.Equal(b.items[0], a.items[0]) || allIn(b.items, a.items)):
		return " repeats the first page", nil
	case len(b.items) == 0 && g.total > len(a.items) && (g.style == "offset" || g.style == "page"):
		// An empty page ends these walks: here, short of the total.
		return fmt.Sprintf(" is empty, but the first page's total is %d", g.total), nil
	case len(b.items) == 0 && g.emptyDoubt:
		// An empty second page ends the listing, or says that the server
		// read the parameter as something else (a filter). Asked from the
		// start with it, a server that pages by it answers the first page
		// again.
		ok, err := g.probe(ctx, client, o, a, cand)
		if err != nil || ok {
			return "", err
		}
		return fmt.Sprintf(" is empty, and %s=%s does not start with the first page's first item", cand, g.startValue), nil
	}
	return "", nil
}

// unconfirmed is the error of a guess that no candidate confirmed, why
// says how each failed: it names the flags to set, and what the first
// page a hinted at.
func (g *guessed) unconfirmed(o *options, a *answer, why []string) error {
	advice := g.advice
	switch h := cursorHeader(a.header); {
	case h != "":
		advice += fmt.Sprintf("; its header %s looks like the next page's cursor: add -cursor-header %s -token-param NAME (the parameter it goes back in)", excerpt(h, 60), excerpt(h, 60))
	case has(a.obj, "last_seq"):
		advice += "; its \"last_seq\" looks like a change feed's: add -style changes"
	case g.more != "":
		advice += fmt.Sprintf("; %q is true, but the body names no next page: the API may page by a field of the last item (a keyset: add -keyset FIELD -token-param NAME, as -keyset id -token-param starting_after for Stripe)", g.more)
	case g.style == "offset" && g.total == 0 && g.allRepeat(why):
		advice += fmt.Sprintf("; if the URL is a file, or a listing of one page, its %d items are all of it: add -style link (which follows Link headers only) to export them", len(a.items))
	}
	return fmt.Errorf("detecting how %s pages: it looks like %s, but the second page did not confirm it (%s); %s",
		o.url, g.what, strings.Join(why, "; "), advice)
}

// allIn reports whether every item of b is one of a's, byte for byte: a
// server that ignores the parameter may answer the same items in another
// order.
func allIn(b, a []json.RawMessage) bool {
	seen := make(map[string]bool, len(a))
	for _, item := range a {
		seen[string(item)] = true
	}
	for _, item := range b {
		if !seen[string(item)] {
			return false
		}
	}
	return true
}

// second returns, unless the first page a ends the listing, a function
// of a candidate name for the moving parameter that returns the flag it
// sets and the URL of the second page the walk asks for.
func (g *guessed) second(o *options, a *answer) func(cand string) (string, string) {
	if g.ended {
		return nil
	}
	base := func(cand string, v string) string {
		return walkURL(o.url, map[string]string{cand: v, o.limitName(): limitValue(o)})
	}
	switch g.style {
	case "offset":
		return func(cand string) (string, string) {
			// After the first page's items, from where the URL asked for
			// it (?offset=100, copied from a browser) if it did.
			from, _ := strconv.Atoi(queryValue(o.url, cand))
			next := strconv.Itoa(max(from, 0) + len(a.items))
			if l := limitFor(cand); l != "" && o.limitParam == "" {
				return g.flag, walkURL(o.url, map[string]string{cand: next, l: limitValue(o)})
			}
			return g.flag, base(cand, next)
		}
	case "page":
		return func(cand string) (string, string) { return g.flag, base(cand, strconv.Itoa(g.pageFrom+1)) }
	case "token":
		return func(cand string) (string, string) { return g.flag, base(cand, g.next) }
	case "next":
		if g.flag != "" { // a page number
			return func(cand string) (string, string) {
				return g.flag, walkURL(o.walkURL("next", 1), map[string]string{cand: g.next})
			}
		}
		fallthrough
	default: // a URL
		return func(string) (string, string) { return "", resolve(a.url, g.next) }
	}
}

// probe asks for the first page with the parameter cand at its first
// value, and reports whether it starts with the first page's first item.
func (g *guessed) probe(ctx context.Context, client *http.Client, o *options, a *answer, cand string) (bool, error) {
	if len(a.items) == 0 {
		return true, nil
	}
	b, err := get(ctx, client, o, walkURL(o.url, map[string]string{cand: g.startValue, o.limitName(): limitValue(o)}), false)
	var he *pagerhttp.HTTPError
	if errors.As(err, &he) && he.StatusCode/100 == 4 && he.StatusCode != http.StatusTooManyRequests {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := g.itemsOf(b); err != nil {
		return false, nil
	}
	return len(b.items) > 0 && bytes.Equal(b.items[0], a.items[0]), nil
}

// loops returns what b, the second page, names as the next page if that
// would take the walk back to b or to a, the first page, or "": a token
// walk asked again with the token b came for, a URL walk sent back. (An
// empty page that names its own token is a change feed caught up.)
func (g *guessed) loops(a, b *answer) string {
	if len(b.items) == 0 {
		return ""
	}
	var next string
	switch {
	case g.style == "link":
		next, _ = nextLink(b)
	case g.flag != "" && g.style != "token": // a page number or an offset
		return ""
	default:
		obj, err := newObject(b.body)
		if err != nil {
			return ""
		}
		raw, _ := lookup(obj, g.set["next-field"])
		if g.style == "token" {
			next, _ = tokenValue(raw)
			if next == g.next {
				return next
			}
			return ""
		}
		if next, _ = nextValue(raw); next != "" {
			next = resolve(b.url, next)
		}
	}
	if next != "" && (normal(next) == normal(b.url) || normal(next) == normal(a.url)) {
		return redactURL(next)
	}
	return ""
}

// limitFor returns the page size's parameter that goes with the offset
// parameter cand, if it is not limit: json-server 0.17's _start and
// _limit.
func limitFor(cand string) string {
	if cand == "_start" {
		return "_limit"
	}
	return ""
}

// limitName is the page size's query parameter of o's walk.
func (o *options) limitName() string {
	switch o.style {
	case "offset":
		return or(o.limitParam, "limit")
	case "page", "link":
		return or(o.limitParam, "per_page")
	case "token":
		return or(o.limitParam, "pageSize")
	}
	return o.limitParam
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
		AllowHosts: o.allowHosts, MaxBodySize: o.maxBodySize, Quota: o.quota,
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

// given reports whether the flag name was set on the command line.
func (o *options) given(name string) bool {
	set := false
	o.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
