package pagerhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/pagerseq/pager"
)

// getCursorPage fetches the page at u, the request dressed by dress, and
// decodes it, within the bounds and with the error classes of getPage.
func getCursorPage[T any](ctx context.Context, c *cursorClient, u string, req pager.Request, dress ...func(*http.Request)) (pager.Page[T], error) {
	resp, body, err := c.fetchBody(ctx, u, dress...)
	if err != nil {
		return pager.Page[T]{}, err
	}
	p, err := decodeCursorPage[T](c, resp.Header, body, req)
	var ge *GraphQLError
	switch {
	case errors.As(err, &ge):
		ge.URL = Redact(u)
		return pager.Page[T]{}, ge
	case err != nil:
		return pager.Page[T]{}, c.decodeError(u, err)
	}
	return p, nil
}

// decodeCursorPage decodes the page that c was answered for req: its
// items, and the next page's cursor, which it leaves empty on the last
// page.
func decodeCursorPage[T any](c *cursorClient, header http.Header, body []byte, req pager.Request) (pager.Page[T], error) {
	var p pager.Page[T]
	b, err := scanCursorBody(c, body, &p.Items)
	if err != nil {
		return p, err
	}
	if p.Next, err = c.nextCursor(header, b); err != nil {
		return p, err
	}
	var more bool // the body says more follow
	if raw, ok := b.get(c.e.HasMore); ok {
		if err := json.Unmarshal(raw, &more); err != nil {
			return p, fmt.Errorf("decoding %q: %w", c.e.HasMore, err)
		}
		p.Last = !more
	}
	switch {
	case c.from.kind == inLastItem && len(p.Items) == 0 && more:
		return p, fmt.Errorf("no items, but %q is true: no last item to take the cursor from", c.e.HasMore)
	case c.from.kind == inLastItem && p.Next != "" && p.Next == req.Token:
		return p, fmt.Errorf("the last item's %q is the cursor this page was asked for with, %q: %w", c.from.names[0], p.Next, pager.ErrRepeatedToken)
	case c.changes && len(p.Items) == 0 && p.Next == req.Token:
		p.Next = "" // caught up
	case c.changes:
		if raw, ok := b.get(c.e.Pending); ok {
			var pending int
			if err := json.Unmarshal(raw, &pending); err != nil {
				return p, fmt.Errorf("decoding %q: %w", c.e.Pending, err)
			}
			p.Last = p.Last || pending == 0
		}
	}
	if p.Last {
		p.Next = ""
	}
	return p, nil
}

// A cursorBody is what a page's body holds besides its items: the fields
// c reads, by dotted path, and the JSON of the last item.
type cursorBody struct {
	fields map[string]*json.RawMessage
	last   json.RawMessage
}

// get returns the field at path, if the body has it and it is not null.
func (b cursorBody) get(path string) (json.RawMessage, bool) {
	if raw := b.fields[path]; raw != nil && *raw != nil && !isNull(*raw) {
		return *raw, true
	}
	return nil, false
}

// scanCursorBody decodes body in one pass: its items, or a GraphQL
// connection's nodes, into *items, and the fields that c reads.
func scanCursorBody[T any](c *cursorClient, body []byte, items *[]T) (cursorBody, error) {
	body = bytes.TrimSpace(body)
	b := cursorBody{fields: make(map[string]*json.RawMessage, 4)}
	paths := []string{c.e.HasMore}
	if c.from.kind == inBody {
		paths = append(paths, c.from.names[0])
	}
	if c.changes {
		paths = append(paths, c.e.Pending)
	}
	d := &scanner[T]{items: c.e.Items, into: items, fields: b.fields}
	if c.graphQL {
		d.items, d.dropNull = c.e.Items+".nodes", true
		paths = append(paths, "errors", c.e.Items+".edges")
	}
	for _, path := range slices.DeleteFunc(paths, func(p string) bool { return p == "" || p == "-" }) {
		b.fields[path] = new(json.RawMessage)
	}
	if c.e.Items == "" && len(body) > 0 && body[0] == '{' {
		return b, fmt.Errorf("the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (%s)", fieldList(body))
	}
	err := d.scan(body)
	b.last = d.last
	switch {
	case c.graphQL:
		return b, graphQLItems(c.e.Items, body, err, b, d.span != nil && !isNull(d.span), items)
	case err != nil && c.e.Items == "":
		return b, fmt.Errorf("decoding the items: %w", err)
	case err != nil:
		return b, fmt.Errorf("decoding the body: %w", err)
	case d.span == nil && c.e.Items != "":
		return b, fmt.Errorf("the body has no field %q (%s)", c.e.Items, fieldList(body))
	}
	return b, nil
}

// nextCursor returns the next page's cursor, "" if there is none, where
// c reads it: in the body, its last item, or header.
func (c *cursorClient) nextCursor(header http.Header, b cursorBody) (string, error) {
	var raw json.RawMessage
	switch path := c.from.names[0]; c.from.kind {
	case inHeader:
		return headerCursor(header, c.from.names, c.to.names), nil
	case inBody:
		raw, _ = b.get(path)
	case inLastItem:
		if b.last == nil {
			return "", nil // nothing to take the cursor from: the end
		}
		var item map[string]json.RawMessage
		if err := json.Unmarshal(b.last, &item); err != nil {
			return "", fmt.Errorf("the last item is not an object, with the field %q for a cursor: %w", path, err)
		}
		var ok bool
		if raw, ok = field(item, path); !ok || isNull(raw) {
			return "", fmt.Errorf("the last item has no field %q for a cursor", path)
		}
	}
	if raw == nil {
		return "", nil
	}
	tok, err := cursorText(raw)
	if err != nil {
		return "", fmt.Errorf("decoding the cursor at %v: %w", c.from, err)
	}
	return tok, nil
}

// headerCursor returns the cursor in the headers names of h: the value of
// the one header; of several, a query string of their values under the
// names they are sent as. It is "" if none is set.
func headerCursor(h http.Header, names, sendAs []string) string {
	if len(names) == 1 {
		return h.Get(names[0])
	}
	q := make(url.Values)
	for i, name := range names {
		if v := h.Get(name); v != "" {
			q.Set(sendAs[i], v)
		}
	}
	return q.Encode()
}

// cursorText returns the cursor raw holds, as [Place] says.
func cursorText(raw json.RawMessage) (string, error) {
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '{':
		var link struct{ Href *string }
		if json.Unmarshal(raw, &link) == nil && link.Href != nil {
			return *link.Href, nil
		}
	case '[', 't', 'f':
	default:
		var tok string
		err := decodeToken(raw, &tok)
		return tok, err
	}
	var b bytes.Buffer
	err := json.Compact(&b, raw)
	return b.String(), err
}
