package pagerhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pagerseq/pager"
)

// cursorClient is an httpClient that reads and sends cursors where its
// Endpoint's Cursor and SendCursor say.
type cursorClient struct {
	*httpClient
	dialect
	from, to Place
	body     []byte // Endpoint.Body, valid JSON; nil if none
}

// newCursorClient is newHTTPClient for a walk that reads and sends a
// cursor: by default from the body field NextToken to the query parameter
// TokenParam. It panics on settings that cannot work.
func newCursorClient(e Endpoint, fn string, p params, d dialect) *cursorClient {
	if e.Body != "" {
		if e.Method == "" {
			e.Method = http.MethodPost
		}
		p.limit = "-" // LimitParam names a field of the Body, if any
	}
	c := &cursorClient{httpClient: newHTTPClient(e, fn, p), dialect: d, from: e.Cursor, to: e.SendCursor}
	if c.from.kind == nowhere {
		c.from = BodyField(c.e.NextToken)
	}
	if c.to.kind == nowhere {
		c.to = Query(c.e.TokenParam)
	}
	bad := func(why string) {
		panic(fmt.Sprintf("pagerhttp: %s with Cursor %v and SendCursor %v: %s", fn, c.from, c.to, why))
	}
	switch {
	case len(c.from.names) == 0 || len(c.to.names) == 0:
		bad("a Place names nothing")
	case c.from.kind == inQuery:
		bad("a response has no query parameters")
	case c.to.kind == inLastItem:
		bad("a request has no items")
	case c.to.kind == inBody && e.Body == "":
		bad("a BodyField to send the cursor in needs a Body")
	case c.to.kind == inBody && len(c.from.names) > 1:
		bad("a cursor of several headers goes to as many query parameters or headers")
	case c.to.kind != inBody && len(c.from.names) != len(c.to.names):
		bad("the cursor is read from and sent to different numbers of places")
	}
	if e.Body != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(e.Body), &obj); err != nil {
			panic(fmt.Sprintf("pagerhttp: %s with a Body that is not a JSON object: %v", fn, err))
		}
		c.body = []byte(e.Body)
	}
	return c
}

// cursorFetch returns the FetchFunc of a [pager.Token] walk over c.
func cursorFetch[T any](c *cursorClient) pager.FetchFunc[T] {
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		u, dress, err := c.request(req)
		if err != nil {
			return pager.Page[T]{}, err
		}
		return getCursorPage[T](ctx, c, u, req, dress)
	}
}

// request returns the URL of the request for req, with the page size and
// the cursor if they go in the query, and a function that adds the rest
// to the request: the cursor in headers, the body.
func (c *cursorClient) request(req pager.Request) (string, func(*http.Request), error) {
	q := c.base.Query()
	if c.body == nil {
		q = c.query(req.Limit)
	}
	header := make(http.Header)
	for i, v := range c.cursorValues(req.Token) {
		switch name := c.to.names[i]; {
		case v == "":
		case c.to.kind == inQuery:
			c.set(q, name, v)
		case c.to.kind == inHeader:
			header.Set(name, v)
		}
	}
	var body []byte
	if c.body != nil {
		var err error
		if body, err = c.requestBody(req); err != nil {
			return "", nil, err
		}
	}
	return c.url(q), func(r *http.Request) {
		for name, v := range header {
			r.Header[name] = v
		}
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Type", "application/json")
		}
	}, nil
}

// cursorValues splits tok into one value per place of c.to: a cursor of
// several headers travels as one token, a query string of their values.
func (c *cursorClient) cursorValues(tok string) []string {
	values := make([]string, len(c.to.names))
	if len(values) == 1 || tok == "" {
		values[0] = tok
		return values
	}
	q, _ := url.ParseQuery(tok)
	for i, name := range c.to.names {
		values[i] = q.Get(name)
	}
	return values
}

// requestBody returns c's Body with the page size and req's cursor set.
func (c *cursorClient) requestBody(req pager.Request) ([]byte, error) {
	var body map[string]any
	d := json.NewDecoder(bytes.NewReader(c.body))
	d.UseNumber() // numbers as written
	if err := d.Decode(&body); err != nil {
		return nil, fmt.Errorf("pagerhttp: Endpoint.Body: %w", err)
	}
	if c.e.LimitParam != "-" && c.e.LimitParam != "" {
		setField(body, c.e.LimitParam, req.Limit)
	}
	if tok := req.Token; tok != "" && c.to.kind == inBody {
		var v any = tok
		if (tok[0] == '[' || tok[0] == '{') && json.Valid([]byte(tok)) {
			v = json.RawMessage(tok)
		}
		setField(body, c.to.names[0], v)
	}
	return json.Marshal(body)
}

// setField sets the field at path, a dotted path, of obj to v, adding
// the objects on the way that are missing.
func setField(obj map[string]any, path string, v any) {
	for {
		name, rest, nested := strings.Cut(path, ".")
		if !nested {
			obj[name] = v
			return
		}
		inner, ok := obj[name].(map[string]any)
		if !ok {
			inner = make(map[string]any)
			obj[name] = inner
		}
		obj, path = inner, rest
	}
}

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
	obj, items, err := c.splitBody(body)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return p, fmt.Errorf("decoding the items: %w", err)
	}
	if p.Next, err = c.nextCursor(header, obj, items); err != nil {
		return p, err
	}
	var more bool // the body says more follow
	if raw, ok := field(obj, c.e.HasMore); ok && !isNull(raw) {
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
		if raw, ok := field(obj, c.e.Pending); ok && !isNull(raw) {
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

// nextCursor returns the next page's cursor, "" if there is none, where
// c reads it: in obj, the body as an object; in items, the JSON of the
// page's items; or in header.
func (c *cursorClient) nextCursor(header http.Header, obj map[string]json.RawMessage, items json.RawMessage) (string, error) {
	var raw json.RawMessage
	switch path := c.from.names[0]; c.from.kind {
	case inHeader:
		return headerCursor(header, c.from.names, c.to.names), nil
	case inBody:
		raw, _ = field(obj, path)
	case inLastItem:
		var all []map[string]json.RawMessage
		if err := json.Unmarshal(items, &all); err != nil {
			return "", fmt.Errorf("the items are not objects, with the field %q for a cursor: %w", path, err)
		}
		if len(all) == 0 {
			return "", nil // nothing to take the cursor from: the end
		}
		var ok bool
		if raw, ok = field(all[len(all)-1], path); !ok || isNull(raw) {
			return "", fmt.Errorf("the last item has no field %q for a cursor", path)
		}
	}
	if raw == nil || isNull(raw) {
		return "", nil
	}
	tok, err := cursorText(raw)
	if err != nil {
		return "", fmt.Errorf("decoding the cursor at %v: %w", c.from, err)
	}
	return tok, nil
}

// splitBody returns body as an object (nil if it is an array) and the
// JSON of its items.
func (c *cursorClient) splitBody(body []byte) (map[string]json.RawMessage, json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if c.e.Items == "" {
		if len(body) > 0 && body[0] == '{' {
			return nil, nil, fmt.Errorf("the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (%s)", fieldList(body))
		}
		return nil, body, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, nil, fmt.Errorf("decoding the body: %w", err)
	}
	if c.graphQL {
		if err := graphQLErrors(obj); err != nil {
			return nil, nil, err
		}
		return connectionItems(obj, c.e.Items)
	}
	items, ok := field(obj, c.e.Items)
	if !ok {
		return nil, nil, fmt.Errorf("the body has no field %q (%s)", c.e.Items, fieldList(body))
	}
	return obj, items, nil
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
