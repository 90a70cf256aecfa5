package pagerhttp

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refLookup is the reference for a dotted path in a decoded object: the
// path's keys one by one, as json.Unmarshal into maps sees them. It reports
// ambiguous if the whole path is also a key, which decodeObject reads in
// document order and a map cannot.
func refLookup(obj map[string]json.RawMessage, path string) (raw json.RawMessage, found, ambiguous bool) {
	name, rest, nested := strings.Cut(path, ".")
	if nested {
		if _, ok := obj[path]; ok {
			return nil, false, true
		}
	}
	v, ok := obj[name]
	if !ok || !nested {
		return v, ok, false
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(v, &inner) != nil {
		return nil, false, false
	}
	return refLookup(inner, rest)
}

// FuzzDecodeObject checks decodeObject against encoding/json: the same
// items and fields, and an error wherever json.Unmarshal errs.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"data": [1, {"a": 2}, "x", null], "total": 4, "meta": {"next": "abc"}}`,
		`{"data": null, "total": "7"}`,
		`{"data": [1], "data": [2, 3]}`,
		`{"meta": {"next": 1}, "meta": 5}`,
		`{"meta": {"next": 1}, "meta": {"x": 2}}`,
		`{"data": {"a": 1}}`,
		`{"result": {"items": [true]}}`,
		`{"data": [1] } x`,
		`{"data": [1,]}`,
		`{"@odata.nextLink": "u", "value": []}`,
		` {"data" : [ ] , "total" : 0 } `,
	} {
		f.Add([]byte(s), "data", "total", "meta.next")
	}
	f.Fuzz(func(t *testing.T, body []byte, items, field1, field2 string) {
		if items == "" || field1 == items || field2 == items || field1 == field2 ||
			strings.HasPrefix(items, field1+".") || strings.HasPrefix(items, field2+".") ||
			strings.HasPrefix(field1, items+".") || strings.HasPrefix(field2, items+".") ||
			strings.HasPrefix(field1, field2+".") || strings.HasPrefix(field2, field1+".") {
			return // paths that overlap are not a page's
		}
		var got []any
		raw1, raw2 := new(json.RawMessage), new(json.RawMessage)
		span, err := decodeObject(body, items, &got, map[string]*json.RawMessage{field1: raw1, field2: raw2})
		found := span != nil

		var obj map[string]json.RawMessage
		refErr := json.Unmarshal(body, &obj)
		if refErr == nil && obj == nil {
			refErr = json.Unmarshal([]byte("1"), &obj) // null is no page: an error too
		}
		if refErr != nil {
			if err == nil {
				t.Fatalf("json.Unmarshal: %v; decodeObject: no error", refErr)
			}
			return
		}
		if oddKeys(body) {
			return // keys with dots, or empty: a dotted path is ambiguous
		}
		var want []any
		rawItems, wantFound, amb := refLookup(obj, items)
		_, _, amb1 := refLookup(obj, field1)
		_, _, amb2 := refLookup(obj, field2)
		if amb || amb1 || amb2 {
			return
		}
		var itemsErr error
		if wantFound {
			itemsErr = json.Unmarshal(rawItems, &want)
		}
		if (err != nil) != (itemsErr != nil) {
			t.Fatalf("decodeObject error %v, want %v", err, itemsErr)
		}
		if err != nil {
			return
		}
		if found != wantFound || !cmp.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("items %#v (found %v), want %#v (found %v)", got, found, want, wantFound)
		}
		if found && !bytes.Equal(span, bytes.TrimSpace(rawItems)) {
			t.Fatalf("items' JSON %q, want %q", span, rawItems)
		}
		for _, f := range []struct {
			path string
			got  *json.RawMessage
		}{{field1, raw1}, {field2, raw2}} {
			wantRaw, ok, _ := refLookup(obj, f.path)
			if ok != (*f.got != nil) || !bytes.Equal(bytes.TrimSpace(*f.got), bytes.TrimSpace(wantRaw)) {
				t.Fatalf("field %q: got %s (found %v), want %s (found %v)", f.path, *f.got, *f.got != nil, wantRaw, ok)
			}
		}
	})
}

// oddKeys reports whether body, valid JSON, has an object key that holds a
// dot or is empty below its top level, where a dotted path cannot tell
// "a.b" under "x" from "b" under "x.a".
func oddKeys(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var odd func(v any, top bool) bool
	odd = func(v any, top bool) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, in := range v {
				if !top && (k == "" || strings.Contains(k, ".")) || odd(in, false) {
					return true
				}
			}
		case []any:
			for _, in := range v {
				if odd(in, false) {
					return true
				}
			}
		}
		return false
	}
	return odd(v, true)
}

// TestDecodeObjectCutShort: a body cut anywhere inside the object is cut
// short, which a retry may mend, after the items' key too.
func TestDecodeObjectCutShort(t *testing.T) {
	for _, body := range []string{`{"items":`, `{"items": [1, 2`, `{"items": [1], "total"`, `{`} {
		var items []int
		_, err := decodeObject([]byte(body), "items", &items, nil)
		if !cutShort(err) {
			t.Errorf("%s: got %v, want a body cut short", body, err)
		}
	}
}
