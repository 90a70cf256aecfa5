package pagerhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
)

// cursorModes are the ways a cursor walk reads a body, for
// FuzzCursorPage: where the items are, where the cursor is, and the
// field that says more follow.
var cursorModes = []struct {
	label string
	e     Endpoint
	d     dialect
}{
	{"items and a body cursor", Endpoint{Items: "data", Cursor: BodyField("meta.next"), HasMore: "has_more"}, dialect{}},
	{"bare array, last item's cursor", Endpoint{Cursor: LastItem("id")}, dialect{}},
	{"items and the last item's cursor", Endpoint{Items: "data", Cursor: LastItem("id"), HasMore: "has_more"}, dialect{}},
	{"GraphQL connection", Endpoint{Items: "data.c", Cursor: BodyField("data.c.pageInfo.endCursor"), HasMore: "data.c.pageInfo.hasNextPage"}, dialect{graphQL: true}},
	{"changes", Endpoint{Items: "data", Cursor: BodyField("next"), Pending: "pending"}, dialect{changes: true}},
}

// refCursorPage decodes body as decodeCursorPage does, the plain way:
// json.Unmarshal of the whole body into maps, of each field looked up, of
// the items, and of the last one.
func refCursorPage(c *cursorClient, body []byte, req pager.Request) (pager.Page[any], error) {
	var p pager.Page[any]
	var obj map[string]json.RawMessage
	var items json.RawMessage
	body = bytes.TrimSpace(body)
	switch {
	case c.e.Items == "" && len(body) > 0 && body[0] == '{':
		return p, errors.New("an object")
	case c.e.Items == "":
		items = body
	default:
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			return p, errors.New("not an object")
		}
		if c.graphQL {
			var errs []struct{ Message string }
			if json.Unmarshal(obj["errors"], &errs) == nil && len(errs) > 0 {
				return p, &GraphQLError{}
			}
			conn, _ := field(obj, c.e.Items)
			var cn struct{ Nodes, Edges json.RawMessage }
			if json.Unmarshal(conn, &cn) != nil {
				return p, errors.New("no connection")
			}
			if cn.Nodes != nil && !isNull(cn.Nodes) {
				var nodes []json.RawMessage
				if err := json.Unmarshal(cn.Nodes, &nodes); err != nil {
					return p, err
				}
				nodes = deleteNull(nodes)
				items, _ = json.Marshal(nodes)
			} else {
				var edges []struct{ Node json.RawMessage }
				if err := json.Unmarshal(cn.Edges, &edges); err != nil || edges == nil {
					return p, errors.New("no nodes or edges")
				}
				nodes := []json.RawMessage{}
				for _, e := range edges {
					nodes = append(nodes, e.Node)
				}
				items, _ = json.Marshal(deleteNull(nodes))
			}
		} else {
			var ok bool
			if items, ok = field(obj, c.e.Items); !ok {
				return p, errors.New("no items")
			}
		}
	}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return p, err
	}
	get := func(path string) (json.RawMessage, bool) {
		raw, ok := field(obj, path)
		return raw, ok && path != "" && !isNull(raw)
	}
	var raw json.RawMessage
	switch c.from.kind {
	case inBody:
		raw, _ = get(c.from.names[0])
	case inLastItem:
		var all []json.RawMessage
		_ = json.Unmarshal(items, &all)
		if len(all) > 0 {
			var last map[string]json.RawMessage
			if err := json.Unmarshal(all[len(all)-1], &last); err != nil {
				return p, err
			}
			var ok bool
			if raw, ok = field(last, c.from.names[0]); !ok || isNull(raw) {
				return p, errors.New("no cursor")
			}
		}
	}
	if raw != nil {
		var err error
		if p.Next, err = cursorText(raw); err != nil {
			return p, err
		}
	}
	more := false
	if raw, ok := get(c.e.HasMore); ok {
		if err := json.Unmarshal(raw, &more); err != nil {
			return p, err
		}
		p.Last = !more
	}
	switch {
	case c.from.kind == inLastItem && len(p.Items) == 0 && more:
		return p, errors.New("no last item")
	case c.from.kind == inLastItem && p.Next != "" && p.Next == req.Token:
		return p, pager.ErrRepeatedToken
	case c.changes && len(p.Items) == 0 && p.Next == req.Token:
		p.Next = ""
	case c.changes:
		if raw, ok := get(c.e.Pending); ok {
			var pending int
			if err := json.Unmarshal(raw, &pending); err != nil {
				return p, err
			}
			p.Last = p.Last || pending == 0
		}
	}
	if p.Last {
		p.Next = ""
	}
	return p, nil
}

func deleteNull(nodes []json.RawMessage) []json.RawMessage {
	out := []json.RawMessage{}
	for _, n := range nodes {
		if n != nil && !isNull(n) {
			out = append(out, n)
		}
	}
	return out
}

// FuzzCursorPage checks that decodeCursorPage, which reads a body in one
// pass, finds what json.Unmarshal of the whole body finds: the same items,
// cursor and end, and an error where it errs, in every cursorMode.
func FuzzCursorPage(f *testing.F) {
	for _, s := range []string{
		`{"data": [{"id": 1}, {"id": "b"}], "meta": {"next": "c2"}, "has_more": true}`,
		`{"data": [], "meta": {"next": null}, "has_more": false}`,
		`{"data": [{"id": 1}], "data": [{"id": 2}, {"id": 3}], "meta": {"next": 7}, "meta": {"x": 1}}`,
		`{"data": [{"id": {"href": "/next"}}, null], "has_more": "yes"}`,
		`[{"id": 1}, {"id": 2}]`,
		`[{"id": 1}, 5]`,
		`[1, {"id": [1, 2]} ]`,
		`{"data": [1,]}`,
		`{"data": [{"id": 1}]} x`,
		`{"data": {"c": {"nodes": [{"n": 1}, null, {"n": 3}], "pageInfo": {"endCursor": "Y3Vy", "hasNextPage": true}}}}`,
		`{"data": {"c": {"edges": [{"node": {"n": 1}}, {"node": null}], "pageInfo": {"endCursor": null, "hasNextPage": false}}}}`,
		`{"data": {"c": {"nodes": null, "edges": [{"node": 2}]}}}`,
		`{"data": {"c": null}, "errors": [{"message": "no"}]}`,
		`{"data": {"c": {"nodes": [1]}}, "errors": []}`,
		`{"data": {"c": {"pageInfo": {}}}}`,
		`{"data": [{"id": 1}], "next": "t0", "pending": 0}`,
		`{"data": [], "next": "t0", "pending": 3}`,
		`{"data": [{"id": 1}], "next": "t1", "pending": "x"}`,
		` {"data" : [ {"id":1} ] , "meta" : { "next" : "a b" } } `,
	} {
		for mode := range cursorModes {
			f.Add([]byte(s), uint8(mode))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		m := cursorModes[int(mode)%len(cursorModes)]
		e := m.e
		e.URL = "http://example.com/x"
		c := newCursorClient(e, "TokenFetch", params{}, m.d)
		req := pager.Request{Token: "t0", Limit: 10}
		var obj any
		if json.Unmarshal(body, &obj) == nil && oddKeys(body) {
			return // keys with dots, or empty: a dotted path is ambiguous
		}
		got, err := decodeCursorPage[any](c, http.Header{}, body, req)
		want, refErr := refCursorPage(c, body, req)
		if (err != nil) != (refErr != nil) {
			t.Fatalf("%s: decodeCursorPage error %v, json.Unmarshal %v", m.label, err, refErr)
		}
		var ge *GraphQLError
		if errors.As(refErr, &ge) != errors.As(err, &ge) {
			t.Fatalf("%s: decodeCursorPage error %v, want a GraphQL error", m.label, err)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: page (-json.Unmarshal +decodeCursorPage):\n%s", m.label, diff)
		}
	})
}
