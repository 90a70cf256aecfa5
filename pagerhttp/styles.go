package pagerhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pagerseq/pager"
)

// A Place says where a cursor is. In a response, [Endpoint.Cursor] is
// where the next page's cursor is read: a [BodyField], the [LastItem]'s
// field, or one or more [Header]s. In a request, [Endpoint.SendCursor] is
// where it is sent: one or more [Query] parameters or [Header]s, or a
// [BodyField] of [Endpoint.Body]. The zero Place is the default of the
// walk.
//
// A cursor read from a JSON string is that string; from a number, the
// number as written; from an object with an "href" (a HAL or JSON:API
// link), the href; from any other JSON value (Elasticsearch's sort
// array), its JSON text. A cursor of several headers is sent to as many
// query parameters or headers, paired in order; a cursor sent to a body
// field goes there as a JSON string, or as JSON if it is an array or an
// object.
type Place struct {
	kind  placeKind
	names []string
}

type placeKind uint8

const (
	nowhere    placeKind = iota
	inBody               // a field of a JSON body
	inLastItem           // a field of the page's last item
	inHeader             // headers
	inQuery              // query parameters
)

// BodyField is the field at path, a dotted path as for [Endpoint.Items],
// of a response's body ("next_cursor", "response_metadata.next_cursor",
// "@odata.nextLink") or of [Endpoint.Body] ("start_cursor").
func BodyField(path string) Place { return Place{inBody, []string{path}} }

// LastItem is the field at path of the last item of a page (Stripe's
// "id", Elasticsearch's "sort"): a keyset cursor.
func LastItem(path string) Place { return Place{inLastItem, []string{path}} }

// Header is one or more HTTP headers: X-Next-Cursor; Azure Table's
// x-ms-continuation-NextPartitionKey and x-ms-continuation-NextRowKey.
func Header(names ...string) Place { return Place{inHeader, names} }

// Query is one or more query parameters of a request.
func Query(names ...string) Place { return Place{inQuery, names} }

func (p Place) String() string {
	kinds := [...]string{"nowhere", "BodyField", "LastItem", "Header", "Query"}
	return fmt.Sprintf("%s(%q)", kinds[p.kind], strings.Join(p.names, `", "`))
}

// styled reports whether e sets any field of styles.go that [TokenFetch]
// reads.
func (e *Endpoint) styled() bool {
	return e.Cursor.kind != nowhere || e.SendCursor.kind != nowhere || e.Body != ""
}

// styles are the settings of a walk's style, beyond its query parameters.
type styles struct {
	changes bool // ChangesFetch: caught up is the end
	graphQL bool // GraphQLFetch: items from a connection, errors in the body
}

// cursorClient is an httpClient that reads and sends cursors as its
// Endpoint's Cursor and SendCursor say.
type cursorClient struct {
	*httpClient
	styles
	from, to Place
	body     map[string]any // Endpoint.Body, decoded
}

// newCursorClient is newHTTPClient for a walk of the styles of styles.go,
// with the cursor read from the body field NextToken and sent in the
// query parameter TokenParam unless e says otherwise. It panics on a
// setting that cannot work.
func newCursorClient(e Endpoint, fn string, p params, s styles) *cursorClient {
	if e.Body != "" {
		if e.Method == "" {
			e.Method = http.MethodPost
		}
		p.limit = "-" // LimitParam names a field of the Body, if any
	}
	c := &cursorClient{httpClient: newHTTPClient(e, fn, p), styles: s, from: e.Cursor, to: e.SendCursor}
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
	case len(c.from.names) != len(c.to.names) && c.to.kind != inBody:
		bad("the cursor is read from and sent to different numbers of places")
	case len(c.from.names) > 1 && c.to.kind == inBody:
		bad("a cursor of several headers goes to as many query parameters or headers")
	}
	if e.Body != "" {
		if err := decodeJSON([]byte(e.Body), &c.body); err != nil {
			panic(fmt.Sprintf("pagerhttp: %s with a Body that is not a JSON object: %v", fn, err))
		}
	}
	return c
}

// cursorFetch returns the FetchFunc of a [pager.Token] walk over c.
func cursorFetch[T any](c *cursorClient) pager.FetchFunc[T] {
	return func(ctx context.Context, req pager.Request) (pager.Page[T], error) {
		u, extra, err := c.request(req, c.url(c.base.Query()))
		if err != nil {
			return pager.Page[T]{}, err
		}
		return getCursorPage[T](ctx, c, u, req, extra)
	}
}

// request returns the URL of the request for req, based on u, and what to
// add to the request: the page size, and the cursor unless it is the
// first request.
func (c *cursorClient) request(req pager.Request, u string) (string, func(*http.Request), error) {
	target, err := url.Parse(u)
	if err != nil {
		return "", nil, fmt.Errorf("pagerhttp: %w", err)
	}
	q := target.Query()
	if c.body == nil {
		c.set(q, c.e.LimitParam, strconv.Itoa(req.Limit))
	}
	var header http.Header
	var body []byte
	values := c.cursorValues(req.Token)
	switch c.to.kind {
	case inQuery:
		for i, name := range c.to.names {
			if values[i] != "" {
				q.Set(name, values[i])
			}
		}
	case inHeader:
		header = make(http.Header)
		for i, name := range c.to.names {
			if values[i] != "" {
				header.Set(name, values[i])
			}
		}
	}
	if c.body != nil {
		if body, err = c.requestBody(req); err != nil {
			return "", nil, err
		}
	}
	target.RawQuery = q.Encode()
	return target.String(), func(r *http.Request) {
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
	b, _ := json.Marshal(c.body) // a copy, as the body is shared by concurrent fetches
	if err := decodeJSON(b, &body); err != nil {
		return nil, err
	}
	if c.e.LimitParam != "-" && c.e.LimitParam != "" {
		setField(body, c.e.LimitParam, req.Limit)
	}
	if req.Token != "" && c.to.kind == inBody {
		var v any = req.Token
		if t := req.Token; (t[0] == '[' || t[0] == '{') && json.Valid([]byte(t)) {
			v = json.RawMessage(t)
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

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// getCursorPage fetches the page at u, with extra added to the request,
// and decodes it.
func getCursorPage[T any](ctx context.Context, c *cursorClient, u string, req pager.Request, extra func(*http.Request)) (pager.Page[T], error) {
	var adds []func(*http.Request)
	if extra != nil {
		adds = append(adds, extra)
	}
	resp, err := c.do(ctx, u, "application/json", adds...)
	if err != nil {
		return pager.Page[T]{}, err
	}
	defer drainClose(resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return pager.Page[T]{}, fmt.Errorf("pagerhttp: %s %s: reading the body: %w", c.method, u, err)
	}
	p, err := decodeCursorPage[T](c, resp.Header, body, req)
	if ge, ok := err.(*GraphQLError); ok {
		ge.URL = u
		return pager.Page[T]{}, ge
	}
	if err != nil {
		return pager.Page[T]{}, notRetried{fmt.Errorf("pagerhttp: %s %s: %w", c.method, u, err)}
	}
	return p, nil
}

// decodeCursorPage decodes the page that c was answered for req: its
// items, HasMore, and the next page's cursor, which it leaves empty on
// the last page.
func decodeCursorPage[T any](c *cursorClient, header http.Header, body []byte, req pager.Request) (pager.Page[T], error) {
	var p pager.Page[T]
	obj, items, err := c.splitBody(body)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return p, fmt.Errorf("decoding the items: %w", err)
	}
	var raw json.RawMessage
	var ok bool
	switch c.from.kind {
	case inBody:
		raw, ok = field(obj, c.from.names[0])
	case inLastItem:
		raw, ok = lastItemField(items, c.from.names[0])
	case inHeader:
		p.Next, ok = headerCursor(header, c.from.names, c.to.names), true
	}
	if ok && raw != nil && !isNull(raw) {
		if p.Next, err = cursorText(raw); err != nil {
			return p, fmt.Errorf("decoding the cursor at %v: %w", c.from, err)
		}
	}
	if raw, ok := field(obj, c.e.HasMore); ok && !isNull(raw) {
		var more bool
		if err := json.Unmarshal(raw, &more); err != nil {
			return p, fmt.Errorf("decoding %q: %w", c.e.HasMore, err)
		}
		p.Last = !more
	}
	switch {
	case c.from.kind == inLastItem && len(p.Items) == 0:
		p.Next = "" // nothing to take the cursor from: the end
	case c.from.kind == inLastItem && p.Next != "" && p.Next == req.Token:
		return p, fmt.Errorf("the last item's %q is the cursor this page was asked for with, %q: %w", c.from.names[0], p.Next, pager.ErrRepeatedToken)
	case c.changes && len(p.Items) == 0 && p.Next == req.Token:
		p.Next = "" // caught up
	case c.changes:
		if raw, ok := field(obj, c.e.Pending); ok && string(raw) == "0" {
			p.Last = true
		}
	}
	if p.Last {
		p.Next = ""
	}
	return p, nil
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

// lastItemField returns the field at path of the last item in items.
func lastItemField(items json.RawMessage, path string) (json.RawMessage, bool) {
	var all []map[string]json.RawMessage
	if json.Unmarshal(items, &all) != nil || len(all) == 0 {
		return nil, false
	}
	return field(all[len(all)-1], path)
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
	case '[':
	default:
		var tok string
		err := decodeToken(raw, &tok)
		return tok, err
	}
	var b bytes.Buffer
	err := json.Compact(&b, raw)
	return b.String(), err
}

// notRetried wraps an error that asking again will not heal: a body that
// does not decode, a cursor that does not advance.
type notRetried struct{ error }

func (e notRetried) Unwrap() error   { return e.error }
func (e notRetried) Retryable() bool { return false }
