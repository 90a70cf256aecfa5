package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pagerseq/pager/pagerhttp"
)

// Where real APIs put what detection reads, as dotted paths, in order of
// preference.
var (
	// A next page's URL: Django REST framework, json-server 1.0 (a page
	// number), JSON:API, HAL, OData and Microsoft Graph, Salesforce, Azure,
	// Laravel, Facebook Graph, and others.
	nextURLFields = []string{"next", "links.next", "_links.next", "@odata.nextLink", "odata.nextLink", "nextRecordsUrl", "nextLink",
		"next_page_url", "nextPageUrl", "paging.next", "pagination.next", "pagination.next_url", "meta.next", "links.next_page"}
	// A next page's token: Google, Slack (response_metadata.next_cursor),
	// Kubernetes (metadata.continue), AWS (NextToken, NextMarker), …
	tokenFields = []string{"nextPageToken", "next_page_token", "nextCursor", "next_cursor", "nextToken", "next_token", "NextToken",
		"response_metadata.next_cursor", "meta.next_cursor", "meta.nextCursor", "pagination.next_cursor", "pagination.nextCursor",
		"metadata.continue", "continuation", "continuationToken", "continuation_token", "nextMarker", "next_marker", "NextMarker", "cursor.next", "next"}
	hasMoreFields = []string{"has_more", "hasMore", "has_next", "hasNext", "has_next_page", "hasNextPage", "more",
		"meta.has_more", "meta.hasMore", "pagination.has_more", "pagination.hasMore"}
	// The listing's length; "count" only where it is more than the page.
	totalFields = []string{"total", "total_count", "totalCount", "totalItems", "total_items", "total_results", "totalResults",
		"total_rows", "totalRows", "totalSize", "total_size", "totalElements", "total_entries", "items",
		"meta.total", "meta.total_count", "meta.totalCount", "meta.totalItems", "pagination.total", "pagination.total_count",
		"pagination.totalItems", "page.totalElements", "count"}
	totalPagesFields = []string{"total_pages", "totalPages", "page_count", "pageCount", "num_pages", "last_page", "lastPage", "pages",
		"meta.total_pages", "meta.totalPages", "meta.last_page", "meta.pageCount", "pagination.total_pages", "pagination.totalPages",
		"pagination.pages", "pagination.last_page", "page.totalPages"}
	// A page number's echo, and the query parameter it suggests.
	pageFields = [][2]string{{"page", "page"}, {"current_page", "page"}, {"currentPage", "page"}, {"page_number", "page_number"},
		{"pageNumber", "pageNumber"}, {"pageNo", "pageNo"}, {"pageIndex", "pageIndex"}, {"meta.current_page", "page"},
		{"meta.page", "page"}, {"pagination.page", "page"}, {"pagination.current_page", "page"}, {"pagination.currentPage", "page"},
		{"number", "page"}} // Spring Data, with totalPages
	// An offset's echo (0 on the first page), and its query parameter.
	offsetFields = [][2]string{{"offset", "offset"}, {"skip", "skip"}, {"start", "start"}, {"_start", "_start"}, {"from", "from"},
		{"startIndex", "startIndex"}, {"start_index", "start_index"}, {"meta.offset", "offset"}, {"pagination.offset", "offset"}}
	// A page size's echo, and its query parameter.
	limitFields = []string{"limit", "per_page", "perPage", "page_size", "pageSize", "max_results", "maxResults", "take", "_limit",
		"meta.limit", "pagination.limit", "pagination.per_page"}

	// The usual names of the items' field, and those of arrays that are
	// not the items.
	itemFields = []string{"items", "data", "results", "records", "entries", "values", "value", "rows", "hits", "nodes",
		"list", "elements", "content", "objects"}
	metaFields = map[string]bool{"tags": true, "labels": true, "errors": true, "warnings": true, "links": true, "fields": true,
		"columns": true, "facets": true, "aggregations": true, "sort": true, "sorts": true, "included": true, "includes": true,
		"scopes": true, "permissions": true, "filters": true, "keys": true, "headers": true, "categories": true, "warning": true}
)

// guessed is what the first page shows of how to go on.
type guessed struct {
	style, items string
	set          map[string]string // flags to set where the user left them empty
	how, end     string            // for -explain
	what, advice string            // the guess, and the flags to set if it fails

	// The second page, if the first does not end the listing.
	ended      bool
	next       string   // a token, a next URL, or a page number
	candidates []string // names of the parameter that moves through the listing, to try in turn
	flag       string   // the flag a candidate is for; "" for a URL walk
	startValue string   // the candidate's value on the first page
	emptyDoubt bool     // an empty second page may be a filter's answer
	total      int      // items in the listing, if the first page says
	more       string   // the has_more field, if it says true
	pageFrom   int      // the first page's number, for page style
}

// guess reads the first page a for how the listing goes on. Flags the
// user set win over what it finds.
func guess(a *answer, o *options) (*guessed, error) {
	g := &guessed{set: map[string]string{}}
	body := bytes.TrimSpace(a.body)
	switch {
	case len(body) > 0 && body[0] == '{':
		if err := json.Unmarshal(body, &a.obj); err != nil {
			return nil, fmt.Errorf("decoding the first page: %w", err)
		}
	case len(body) > 0 && body[0] == '[':
	default:
		return nil, fmt.Errorf("the first page is neither a JSON object nor an array: it starts %q; set -items and -style", excerpt(string(body), 40))
	}
	if err := g.chooseItems(a, o); err != nil {
		return nil, err
	}
	if err := g.itemsOf(a); err != nil {
		return nil, err
	}
	g.total = headerTotal(a.header, o.totalHeader)
	switch next, ok := nextLink(a); {
	case o.style != "" && (a.obj == nil || o.style == "link"):
		g.style, g.ended = o.style, true
		return g, nil
	case ok:
		g.linkStyle(next)
	case a.obj == nil:
		g.offsetStyle(a, o, "", "")
	}
	if g.style != "" {
		if g.style != "offset" && o.limitParam == "" {
			g.set["limit-param"] = "-"
		}
		return g, nil
	}
	g.readEnd(a, o)
	switch {
	case o.style != "": // detection finds the items only
		g.style, g.ended = o.style, true
	case g.nextURLStyle(a, o), g.tokenStyle(a, o), g.pageStyle(a, o):
	default:
		name, param := echo(a.obj, offsetFields, "0")
		if name == "offset" && has(a.obj, "total_rows") { // CouchDB echoes its skip as "offset"
			param = "skip"
		}
		g.offsetStyle(a, o, name, param)
	}
	if g.style != "offset" && o.limitParam == "" {
		g.set["limit-param"] = "-" // the first page came at the server's page size: so do the rest
	}
	return g, nil
}

// chooseItems sets g.items: -items, or "." for a bare array, or the field
// of the body that holds an array of objects and is not metadata.
func (g *guessed) chooseItems(a *answer, o *options) error {
	switch {
	case a.obj == nil && o.items != "" && o.items != bareArray:
		//lint:ignore ST1005 the message ends with the flag's value, not a full stop
		return fmt.Errorf("-items %s: the body is a bare array; use -items .", o.items)
	case a.obj == nil:
		g.items = bareArray
		return nil
	case o.items == bareArray:
		return fmt.Errorf("-items . says a bare array, but the body is a JSON object (%s)", fields(a.obj))
	case o.items != "":
		g.items = o.items
		return nil
	}
	type array struct {
		path    string
		objects bool // its first element is an object, or it is empty
		meta    bool
	}
	var arrays []array
	add := func(path string, raw json.RawMessage, meta bool) {
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || t[0] != '[' {
			return
		}
		inner := bytes.TrimSpace(t[1:])
		arrays = append(arrays, array{path, len(inner) > 0 && (inner[0] == '{' || inner[0] == ']'), meta})
	}
	for _, name := range slices.Sorted(maps.Keys(a.obj)) {
		add(name, a.obj[name], metaFields[name])
	}
	if !slices.ContainsFunc(arrays, func(arr array) bool { return !arr.meta }) {
		// One level down: HAL's _embedded.records, {"data": {"items": …}}.
		for _, name := range slices.Sorted(maps.Keys(a.obj)) {
			var inner map[string]json.RawMessage
			if json.Unmarshal(a.obj[name], &inner) != nil {
				continue
			}
			for _, in := range slices.Sorted(maps.Keys(inner)) {
				add(name+"."+in, inner[in], metaFields[in] || metaFields[name] || name == "meta" || name == "links" || name == "_links")
			}
		}
	}
	paths := func(keep func(array) bool) []string {
		var out []string
		for _, arr := range arrays {
			if keep(arr) {
				out = append(out, arr.path)
			}
		}
		return out
	}
	all := paths(func(array) bool { return true })
	// The one array of objects that is not metadata; else the one array
	// that is not metadata; else the one array.
	for _, keep := range []func(array) bool{
		func(arr array) bool { return !arr.meta && arr.objects },
		func(arr array) bool { return !arr.meta },
		func(arr array) bool { return true },
	} {
		if c := paths(keep); len(c) == 1 {
			g.items = c[0]
			return nil
		} else if len(c) > 1 {
			break
		}
	}
	for _, name := range itemFields {
		for _, p := range paths(func(arr array) bool { return !arr.meta }) {
			if p == name || strings.HasSuffix(p, "."+name) {
				g.items = p
				return nil
			}
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("no field of the first page holds an array (%s); set -items to the field that holds the items, and -style", fields(a.obj))
	}
	return fmt.Errorf("several fields of the first page hold arrays (%s); set -items to the one that holds the items", strings.Join(all, ", "))
}

// itemsOf sets a.items from a's body, at g.items.
func (g *guessed) itemsOf(a *answer) error {
	if g.items == bareArray {
		if err := json.Unmarshal(a.body, &a.items); err != nil {
			return fmt.Errorf("the body is not a JSON array of items (-items .): %w", err)
		}
		return nil
	}
	obj := a.obj
	if obj == nil {
		if err := json.Unmarshal(a.body, &obj); err != nil {
			return fmt.Errorf("the body is not a JSON object with the items at %q: %w", g.items, err)
		}
	}
	raw, ok := lookup(obj, g.items)
	if !ok {
		return fmt.Errorf("the body has no field %q (%s)", g.items, fields(obj))
	}
	if string(raw) == "null" {
		a.items = nil
		return nil
	}
	if err := json.Unmarshal(raw, &a.items); err != nil {
		return fmt.Errorf("the field %q is not an array: %w", g.items, err)
	}
	return nil
}

// readEnd reads the end signals of the first page: total, has_more.
func (g *guessed) readEnd(a *answer, o *options) {
	n := len(a.items)
	if name, v, ok := intField(a.obj, o.totalField, totalFields); ok && v > 0 && (name != "count" && name != "items" || v > n) {
		g.total, g.set["total-field"] = v, name
	}
	if name, raw, ok := first(a.obj, o.hasMoreField, hasMoreFields); ok {
		var more bool
		if json.Unmarshal(raw, &more) == nil {
			g.set["has-more-field"] = name
			g.ended = g.ended || !more
			if more {
				g.more = name
			}
		}
	}
}

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
		case strings.Contains(s, "://") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "?"):
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
		g.end = fmt.Sprintf("the %d items of %q, %s", g.total, g.set["total-field"], g.end)
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
		where := fmt.Sprintf("%q", g.set["total-field"])
		if g.set["total-field"] == "" {
			where = "the headers"
		}
		g.end = fmt.Sprintf("the total in %s (%d items), or an empty page", where, g.total)
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

// apply sets o's flags that the user left empty from g.
func (g *guessed) apply(o *options) {
	if o.style == "" {
		o.style = g.style
	}
	o.items = g.items
	if g.flag != "" && len(g.candidates) > 0 {
		g.set[g.flag] = g.candidates[0] // until the second page says otherwise
	}
	for _, name := range slices.Sorted(maps.Keys(g.set)) {
		if f := o.fs.Lookup(name); f != nil && !o.given(name) {
			_ = f.Value.Set(g.set[name])
		}
	}
}

// chose notes that the second page confirmed cand.
func (g *guessed) chose(cand string) {
	if g.flag != "" {
		g.how = strings.Replace(g.how, "-"+g.flag, fmt.Sprintf("?%s= (-%s)", cand, g.flag), 1)
	}
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
			if l := limitFor(cand); l != "" && o.limitParam == "" {
				return g.flag, walkURL(o.url, map[string]string{cand: strconv.Itoa(len(a.items)), l: limitValue(o)})
			}
			return g.flag, base(cand, strconv.Itoa(len(a.items)))
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

// lookup returns the value at path, a dotted path, in obj; a key spelled
// with dots ("@odata.nextLink") matches whole.
func lookup(obj map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	if raw, ok := obj[path]; ok {
		return raw, true
	}
	name, rest, nested := strings.Cut(path, ".")
	raw, ok := obj[name]
	if !ok || !nested {
		return nil, false
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(raw, &inner) != nil {
		return nil, false
	}
	return lookup(inner, rest)
}

func has(obj map[string]json.RawMessage, path string) bool {
	_, ok := lookup(obj, path)
	return ok
}

// first returns the first of paths in obj (given alone, if set; "-":
// none), and its value.
func first(obj map[string]json.RawMessage, given string, paths []string) (string, json.RawMessage, bool) {
	if given == "-" {
		return "", nil, false
	}
	if given != "" {
		paths = []string{given}
	}
	for _, p := range paths {
		if raw, ok := lookup(obj, p); ok {
			return p, raw, true
		}
	}
	return "", nil, false
}

// intField returns the first of paths (or given) in obj that holds an
// integer.
func intField(obj map[string]json.RawMessage, given string, paths []string) (string, int, bool) {
	if given == "-" {
		return "", 0, false
	}
	if given != "" {
		paths = []string{given}
	}
	for _, p := range paths {
		raw, ok := lookup(obj, p)
		var n int
		if ok && json.Unmarshal(raw, &n) == nil {
			return p, n, true
		}
	}
	return "", 0, false
}

// echo returns the first of fields in obj whose value is the integer
// want, and the query parameter it suggests.
func echo(obj map[string]json.RawMessage, fields [][2]string, want string) (string, string) {
	for _, f := range fields {
		if raw, ok := lookup(obj, f[0]); ok && string(bytes.TrimSpace(raw)) == want {
			return f[0], f[1]
		}
	}
	return "", ""
}

func lastName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// nextLink returns the rel="next" target of a's Link header, resolved
// against a's URL, and whether a has one.
func nextLink(a *answer) (string, bool) {
	for _, h := range a.header.Values("Link") {
		for _, link := range strings.Split(h, ",") {
			target, attrs, ok := strings.Cut(link, ">")
			target, found := strings.CutPrefix(strings.TrimSpace(target), "<")
			if !ok || !found {
				continue
			}
			for _, param := range strings.Split(attrs, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
				if strings.EqualFold(strings.TrimSpace(name), "rel") && slices.ContainsFunc(strings.Fields(strings.Trim(strings.TrimSpace(value), `"`)),
					func(rel string) bool { return strings.EqualFold(rel, "next") }) {
					return resolve(a.url, target), true
				}
			}
		}
	}
	return "", false
}

// headerTotal returns the listing's total in h, or 0: in the header
// name (-total-header; "-": none), or by default X-Total-Count, else
// the total of a Content-Range of items, as pagerhttp reads it.
func headerTotal(h http.Header, name string) int {
	switch name {
	case "-":
		return 0
	case "":
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Total-Count"))); err == nil && n > 0 {
			return n
		}
		name = "Content-Range"
	}
	v := strings.TrimSpace(h.Get(name))
	if strings.EqualFold(name, "Content-Range") {
		if unit, rng, ok := strings.Cut(v, " "); ok {
			if !strings.EqualFold(unit, "items") {
				return 0
			}
			v = rng
		}
		_, v, _ = strings.Cut(v, "/")
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return n
	}
	return 0
}

// fields lists the names of obj's fields.
func fields(obj map[string]json.RawMessage) string {
	names := slices.Sorted(maps.Keys(obj))
	if len(names) > 20 {
		names = append(names[:20], "…")
	}
	return "fields: " + strings.Join(names, ", ")
}

func excerpt(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
