package pagerhttp

import (
	"bytes"
	"context"
	"encoding/json"
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
