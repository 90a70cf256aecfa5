package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Reading the fields of a JSON body by dotted path, as detection does.

// An object is a JSON object's fields, with the objects in them decoded
// once, as a dotted path first reaches into them: a server's large "meta"
// is decoded once, not again for each of the names detection looks for.
// A nil *object has no fields.
type object struct {
	fields map[string]json.RawMessage
	inner  map[string]*object // by field name; nil: not an object
}

// newObject decodes raw, a JSON object.
func newObject(raw []byte) (*object, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	return &object{fields: fields}, nil
}

// child returns the object in o's field name, or nil if it holds none.
func (o *object) child(name string) *object {
	if c, ok := o.inner[name]; ok {
		return c
	}
	var c *object
	if raw, ok := o.fields[name]; ok {
		c, _ = newObject(raw)
	}
	if o.inner == nil {
		o.inner = make(map[string]*object)
	}
	o.inner[name] = c
	return c
}

// lookup returns the value at path, a dotted path, in obj; a key spelled
// with dots ("@odata.nextLink") matches whole.
func lookup(obj *object, path string) (json.RawMessage, bool) {
	if obj == nil {
		return nil, false
	}
	if raw, ok := obj.fields[path]; ok {
		return raw, true
	}
	name, rest, nested := strings.Cut(path, ".")
	if !nested {
		return nil, false
	}
	return lookup(obj.child(name), rest)
}

func has(obj *object, path string) bool {
	_, ok := lookup(obj, path)
	return ok
}

// first returns the first of paths in obj (given alone, if set; "-":
// none), and its value.
func first(obj *object, given string, paths []string) (string, json.RawMessage, bool) {
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
func intField(obj *object, given string, paths []string) (string, int, bool) {
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
func echo(obj *object, fields [][2]string, want string) (string, string) {
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

// fields lists the names of obj's fields.
func fields(obj *object) string {
	return "fields: " + list(slices.Sorted(maps.Keys(obj.fields)))
}

// list joins the first 20 of names, a server's field names, each cut to
// 40 bytes, for a message.
func list(names []string) string {
	var out []string
	for i, n := range names {
		if i == 20 {
			out = append(out, "…")
			break
		}
		out = append(out, excerpt(n, 40))
	}
	return strings.Join(out, ", ")
}

func excerpt(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
