package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pagerseq/pager/pagerhttp"
)

// Where the next page comes from: each style's reading of the first page,
// in the order detection tries them.

// linkStyle: a Link header with rel="next", or -style link.
func (g *guessed) linkStyle(next string) {
	g.style, g.what = "link", "a Link header listing"
	g.how = "the Link header's rel=\"next\""
	g.end = "a response without a rel=\"next\" link"
	g.next, g.ended = next, next == ""
	g.candidates = []string{""}
	g.advice = "set -style and its flags (pagecat -h, How to page)"
}

// nextURLStyle reports whether a field of the body names the next page:
// a URL, relative or not, a link object, or json-server 1.0's page number.
func (g *guessed) nextURLStyle(a *answer, o *options) bool {
	name, raw, ok := first(a.obj, o.nextField, nextURLFields)
	if !ok {
		return false
	}
	next, kind := nextValue(raw)
	if kind == "" || kind == "token" {
		return false
	}
	g.style, g.set["next-field"] = "next", name
	g.what = fmt.Sprintf("a listing whose %q names the next page", name)
	g.end = fmt.Sprintf("a page whose %q is null, empty or absent", name)
	g.next, g.ended = next, g.ended || next == ""
	g.candidates = []string{""}
	g.advice = "set -style and its flags (pagecat -h, How to page)"
	if kind == "number" {
		g.how = fmt.Sprintf("the page number in the body's %q, sent as -page-param", name)
		// json-server 1.0 pages with _page: its body has first, last and pages.
		guess := "page"
		if has(a.obj, "first") && has(a.obj, "last") && has(a.obj, "pages") {
			guess = "_page"
		}
		g.flag, g.candidates = "page-param", candidates(o.pageParam, guess, "page", "_page")
		g.advice = "set -page-param to the server's page parameter"
		if g.total == 0 {
			if _, v, ok := intField(a.obj, o.totalField, []string{"items"}); ok && v > len(a.items) {
				g.total = v
			}
		}
		return true
	}
	g.how = fmt.Sprintf("the URL in the body's %q", name)
	return true
}

// nextValue returns a next field's value and what it is: "url", "number",
// "null" (the end), "token" (an opaque string) or "" (not a next page).
func nextValue(raw json.RawMessage) (string, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", ""
	}
	switch raw[0] {
	case 'n':
		return "", "null"
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", ""
		}
		switch {
		case s == "":
			return "", "null"
		case strings.Contains(s, "://") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
			strings.Contains(s, "?"): // a relative URL ("list?page=2"); tokens hold no '?'
			return s, "url"
		}
		return s, "token"
	case '{':
		var link struct{ Href *string }
		if json.Unmarshal(raw, &link) == nil && link.Href != nil {
			return *link.Href, "url"
		}
	default:
		var n int
		if json.Unmarshal(raw, &n) == nil && n > 0 {
			return strconv.Itoa(n), "number"
		}
	}
	return "", ""
}

// tokenStyle reports whether a field of the body holds the next page's
// token, even null (the last page).
func (g *guessed) tokenStyle(a *answer, o *options) bool {
	name, raw, ok := first(a.obj, o.nextField, tokenFields)
	if !ok {
		return false
	}
	tok, ok := tokenValue(raw)
	if !ok {
		return false
	}
	g.style, g.set["next-field"] = "token", name
	g.what = fmt.Sprintf("a token listing, the token in %q", name)
	g.how = fmt.Sprintf("the token in the body's %q, sent as -token-param", name)
	g.end = fmt.Sprintf("a page whose %q is null, empty or absent", name)
	if hm := g.set["has-more-field"]; hm != "" {
		g.end += fmt.Sprintf(", or whose %q is false", hm)
	}
	g.next, g.ended = tok, g.ended || tok == ""
	g.flag, g.candidates = "token-param", candidates(o.tokenParam, tokenParam(name), "cursor", "pageToken", "page_token", "next_token")
	g.candidates = g.candidates[:min(len(g.candidates), 4)]
	g.startValue = ""
	g.advice = "set -token-param to the server's token parameter, or -style and its flags"
	return true
}

// tokenValue returns the token in raw, a token field's value: a string or
// a number, "" for null; and false if raw holds no token.
func tokenValue(raw json.RawMessage) (string, bool) {
	var tok string
	switch t := bytes.TrimSpace(raw); {
	case string(t) == "null":
	case len(t) > 0 && (t[0] == '"' || t[0] >= '0' && t[0] <= '9'):
		var n json.Number
		if t[0] == '"' {
			_ = json.Unmarshal(t, &tok)
		} else if json.Unmarshal(t, &n) == nil {
			tok = n.String()
		}
	default:
		return "", false
	}
	return tok, true
}

// tokenParam returns the query parameter an API likely reads the token
// of the field name from.
func tokenParam(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	switch name {
	case "nextPageToken":
		return "pageToken"
	case "next_page_token":
		return "page_token"
	case "nextCursor", "next_cursor", "next":
		return "cursor"
	case "continue":
		return "continue"
	case "continuation", "continuationToken", "continuation_token":
		return "continuation"
	case "nextMarker", "next_marker", "NextMarker":
		return "marker"
	}
	return name // next_token, nextToken, NextToken
}

// pageStyle reports whether the body echoes a page number (1, or 0 for
// pages counted from 0) or counts the pages.
func (g *guessed) pageStyle(a *answer, o *options) bool {
	name, param := echo(a.obj, pageFields, "1")
	from := 1
	if name == "" {
		if name, param = echo(a.obj, pageFields, "0"); name != "" {
			from = 0
		}
	}
	tpName, tp, tpOK := intField(a.obj, o.totalPagesField, totalPagesFields)
	if name == "number" && !tpOK {
		name, param = "", ""
	}
	if name == "" && !tpOK && o.style != "page" {
		return false
	}
	if o.pagesFromZero {
		from = 0
	}
	g.style, g.pageFrom = "page", from
	if from == 0 {
		g.set["pages-from-zero"] = "true"
	}
	g.what = "a page-number listing"
	g.end = "an empty page"
	if tpOK && tp > 0 {
		g.set["total-pages-field"] = tpName
		g.end = fmt.Sprintf("the last of the %q pages, or an empty page", tpName)
		g.ended = g.ended || tp <= 1
	}
	if g.total > 0 {
		g.end = fmt.Sprintf("the %d items in %s, or %s", g.total, g.totalFrom(), g.end)
		g.ended = g.ended || len(a.items) >= g.total
	}
	g.ended = g.ended || len(a.items) == 0
	g.flag, g.candidates = "page-param", candidates(o.pageParam, param, "page", "_page")
	g.how = "the page number, sent as -page-param"
	g.startValue, g.emptyDoubt = strconv.Itoa(from), g.total == 0
	g.advice = "set -page-param to the server's page parameter, or -style and its flags"
	return true
}

// offsetStyle is the last guess: limit and offset, with the offset
// parameter the body echoes (name, param) if it does.
func (g *guessed) offsetStyle(a *answer, o *options, name, param string) {
	g.style, g.what = "offset", "a limit/offset listing"
	g.how = "the offset, sent as -offset-param"
	g.end = "an empty page"
	if g.total > 0 {
		g.end = fmt.Sprintf("the total in %s (%d items), or an empty page", g.totalFrom(), g.total)
		g.ended = g.ended || len(a.items) >= g.total
	}
	if hm := g.set["has-more-field"]; hm != "" {
		g.end += fmt.Sprintf(", or %q false", hm)
	}
	g.ended = g.ended || len(a.items) == 0
	if a.obj != nil && o.limitParam == "" {
		if name, v, ok := intField(a.obj, "", limitFields); ok && v >= len(a.items) && v > 0 {
			g.set["limit-param"] = lastName(name)
		}
	}
	if name != "" {
		g.candidates = candidates(o.offsetParam, param)
	} else {
		g.candidates = candidates(o.offsetParam, "offset", "skip", "start", "_start")
	}
	g.flag, g.startValue, g.emptyDoubt = "offset-param", "0", g.total == 0
	g.advice = "set -offset-param (and -limit-param) to the server's parameters, or -style and its flags"
}

// totalFrom says where g's total comes from: a field ("\"count\""), or
// "the headers".
func (g *guessed) totalFrom() string {
	if f := g.set["total-field"]; f != "" && f != "-" {
		return fmt.Sprintf("%q", f)
	}
	return "the headers"
}

// resolve returns ref resolved against base.
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return r.String()
}

// candidates returns given alone if it is set, else the names, without
// repeats or blanks.
func candidates(given string, names ...string) []string {
	if given != "" {
		return []string{given}
	}
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// nextLink returns the rel="next" target of a's Link header, resolved
// against a's URL, and whether a has one.
func nextLink(a *answer) (string, bool) {
	base, err := url.Parse(a.url)
	if err != nil {
		return "", false
	}
	return pagerhttp.NextLink(a.header, base)
}
