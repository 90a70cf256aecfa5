package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
		obj, err := newObject(body)
		if err != nil {
			return nil, fmt.Errorf("decoding the first page: %w", err)
		}
		a.obj = obj
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
	g.total = pagerhttp.HeaderTotal(a.header, o.totalHeader)
	g.setAside(a)
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
	for _, name := range slices.Sorted(maps.Keys(a.obj.fields)) {
		add(name, a.obj.fields[name], metaFields[name])
	}
	if !slices.ContainsFunc(arrays, func(arr array) bool { return !arr.meta }) {
		// One level down: HAL's _embedded.records, {"data": {"items": …}}.
		for _, name := range slices.Sorted(maps.Keys(a.obj.fields)) {
			inner := a.obj.child(name)
			if inner == nil {
				continue
			}
			for _, in := range slices.Sorted(maps.Keys(inner.fields)) {
				add(name+"."+in, inner.fields[in], metaFields[in] || metaFields[name] || name == "meta" || name == "links" || name == "_links")
			}
		}
	}
	if len(arrays) == 0 {
		// An empty listing written as null (a Go server's nil slice).
		for _, name := range itemFields {
			if raw, ok := a.obj.fields[name]; ok && string(bytes.TrimSpace(raw)) == "null" {
				g.items = name
				return nil
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
	return fmt.Errorf("several fields of the first page hold arrays (%s); set -items to the one that holds the items", list(all))
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
		var err error
		if obj, err = newObject(a.body); err != nil {
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

// setAside sets to "-" the flag of each end field the walk reads by
// default (total, has_more, total_pages) that a's body holds as something
// the walk cannot read ("total": "42", "has_more": 1): the walk would fail
// on the very page detection took. A field detection finds of the same
// kind (readEnd, pageStyle) takes the flag instead.
func (g *guessed) setAside(a *answer) {
	for _, f := range []struct {
		flag, name string
		into       any
	}{{"total-field", "total", new(int)}, {"has-more-field", "has_more", new(bool)}, {"total-pages-field", "total_pages", new(int)}} {
		if raw, ok := lookup(a.obj, f.name); ok && string(raw) != "null" && json.Unmarshal(raw, f.into) != nil {
			g.set[f.flag] = "-"
		}
	}
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
