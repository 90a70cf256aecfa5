package pagerhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pagerseq/pager"
)

// ErrItemsMissing reports a page without items while its body says that
// more follow (Total beyond it, has_more true, or more total_pages). It is
// not retried.
var ErrItemsMissing = errors.New("pagerhttp: no items, but the page says more follow")

// decodePage fills p from body, c's JSON answer to req, and returns the
// JSON of its items.
func decodePage[T any](c *httpClient, body []byte, p *pager.Page[T], req pager.Request) ([]byte, error) {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, errors.New("the body is empty, not JSON")
	case body[0] == '<':
		return nil, fmt.Errorf("the body is HTML or XML, not JSON: it starts %q", excerpt(string(body[:min(len(body), 40)])))
	}
	if c.e.Items == "" || c.e.Items == "-" {
		if body[0] == '{' {
			return nil, fmt.Errorf("the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (%s)", fieldList(body))
		}
		if err := json.Unmarshal(body, &p.Items); err != nil {
			return nil, fmt.Errorf("decoding the items: %w", err)
		}
		return body, nil
	}
	if body[0] == '[' {
		return nil, fmt.Errorf("the body is a JSON array, not an object with the field %q: leave Endpoint.Items empty", c.e.Items)
	}
	// One pass over the body: the items, and the few fields read.
	fields := make(map[string]*json.RawMessage, 4)
	for _, name := range c.fieldNames() {
		fields[name] = new(json.RawMessage)
	}
	items, err := decodeObject(body, c.e.Items, &p.Items, fields)
	if err != nil {
		return nil, fmt.Errorf("decoding the body: %w", err)
	}
	if items == nil {
		return nil, fmt.Errorf("the body has no field %q (%s)", c.e.Items, fieldList(body))
	}
	get := func(name string) (json.RawMessage, bool) {
		if raw := fields[name]; raw != nil && *raw != nil {
			return *raw, true
		}
		return nil, false
	}
	more, err := readFields(c, get, body, p, req)
	if err != nil {
		return nil, err
	}
	if len(p.Items) == 0 && more != "" {
		return nil, fmt.Errorf("%w: the field %q is empty or null, but %s", ErrItemsMissing, c.e.Items, more)
	}
	return items, nil
}

// fieldNames are the dotted paths of the fields that decodePage reads
// besides the items.
func (c *httpClient) fieldNames() []string {
	names := []string{c.e.Total, c.e.HasMore}
	if c.style.token != "" {
		names = append(names, c.e.NextToken)
	}
	if c.style.page != "" {
		names = append(names, c.e.TotalPages)
	}
	return slices.DeleteFunc(names, func(n string) bool { return n == "" || n == "-" })
}

// readFields reads the fields other than the items, which get returns,
// into p, and returns why more items follow, if the body says so: "total
// is 6".
func readFields[T any](c *httpClient, get func(name string) (json.RawMessage, bool), body []byte, p *pager.Page[T], req pager.Request) (more string, err error) {
	read := func(name string, into func(json.RawMessage) error) {
		if raw, ok := get(name); ok && err == nil && !isNull(raw) {
			if e := into(raw); e != nil {
				err = fmt.Errorf("decoding %q: %w", name, e)
			}
		}
	}
	read(c.e.Total, func(raw json.RawMessage) error {
		e := json.Unmarshal(raw, &p.Total)
		switch {
		case c.style.byOffset && p.Total > req.Offset:
			more = fmt.Sprintf("%q is %d at offset %d", c.e.Total, p.Total, req.Offset)
		case c.style.page != "" && p.Total > (req.Page-1)*req.Limit:
			more = fmt.Sprintf("%q is %d on page %d of %d items", c.e.Total, p.Total, req.Page, req.Limit)
		}
		return e
	})
	read(c.e.HasMore, func(raw json.RawMessage) error {
		var hasMore bool
		e := json.Unmarshal(raw, &hasMore)
		p.Last = p.Last || !hasMore
		if hasMore {
			more = fmt.Sprintf("%q is true", c.e.HasMore)
		}
		return e
	})
	if c.style.token != "" {
		raw, ok := get(c.e.NextToken)
		if !ok && c.e.NextToken != "-" {
			// No token: the last page, or a token under another name.
			var obj map[string]json.RawMessage
			_ = json.Unmarshal(body, &obj) // it decoded once already
			if name, found := tokenLookalike(obj, req.Token); found {
				return "", fmt.Errorf("the body has no field %q, but has %q: set Endpoint.NextToken to %q if it holds the next page's token", c.e.NextToken, name, name)
			}
		}
		if ok && !isNull(raw) && err == nil {
			if e := decodeToken(raw, &p.Next); e != nil {
				err = fmt.Errorf("decoding %q: %w", c.e.NextToken, e)
			}
		}
		if p.Last {
			p.Next = "" // has_more false: the last page, whatever token it has
		}
		if p.Next != "" {
			more = "" // an empty page with a token is walked through
		}
	}
	if c.style.page != "" {
		read(c.e.TotalPages, func(raw json.RawMessage) error {
			var n int
			e := json.Unmarshal(raw, &n)
			if n > 0 { // 0 or less: unknown
				p.Last = p.Last || req.Page >= n
				if req.Page < n {
					more = fmt.Sprintf("%q is %d on page %d", c.e.TotalPages, n, req.Page)
				}
			}
			return e
		})
	}
	return more, err
}

// tokenNames are the names, lower case and without '_' or '-', that APIs
// give the next page's token or cursor.
var tokenNames = map[string]bool{
	"nextpagetoken": true, "nexttoken": true, "nextcursor": true,
	"cursor": true, "next": true, "continuation": true, "continuationtoken": true,
	"nextpage": true, "scrollid": true, "nextkey": true, "lastevaluatedkey": true,
	"nextmarker": true, "endcursor": true,
}

// tokenLookalike returns the dotted path of a field of obj, or of an object
// in it, that looks like a next page's token and holds one: a string or a
// number, not null, "" or false, and not the page's own token echoed.
func tokenLookalike(obj map[string]json.RawMessage, own string) (string, bool) {
	names := slices.Sorted(maps.Keys(obj))
	for _, name := range names {
		if looksLikeToken(name, obj[name], own) {
			return name, true
		}
	}
	for _, name := range names {
		var inner map[string]json.RawMessage
		if json.Unmarshal(obj[name], &inner) != nil {
			continue
		}
		for _, in := range slices.Sorted(maps.Keys(inner)) {
			if looksLikeToken(in, inner[in], own) {
				return name + "." + in, true
			}
		}
	}
	return "", false
}

func looksLikeToken(name string, raw json.RawMessage, own string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	if !tokenNames[n] {
		return false
	}
	var tok string
	return decodeToken(raw, &tok) == nil && tok != "" && tok != own
}

// field returns the value at path, a dotted path of field names, in obj.
func field(obj map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	if path == "-" {
		return nil, false
	}
	if raw, ok := obj[path]; ok { // a name with dots: "@odata.nextLink"
		return raw, true
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
	names := slices.Sorted(maps.Keys(obj))
	for i, name := range names {
		names[i] = excerpt(name)
	}
	return "its fields: " + excerpt(strings.Join(names, ", "))
}
