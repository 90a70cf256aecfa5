package main

import (
	"encoding/json"
	"unicode/utf8"
)

// maxDepth is how deeply a valueDecoder nests before it hands the value
// to encoding/json, whose own limit (10000) then decides.
const maxDepth = 1000

// The keys a valueDecoder keeps, to spare a string per key of every item:
// at most maxKeys, of up to maxKeyLen bytes each.
const (
	maxKeys   = 256
	maxKeyLen = 64
)

// A valueDecoder decodes JSON values into the values gojq takes: nil,
// bool, json.Number (a number kept as written), string, []any and
// map[string]any, as encoding/json with UseNumber does, without its
// reflection; it keeps the keys of objects, which the items of a listing
// share, to make each once. The zero value is ready to use.
type valueDecoder struct {
	keys map[string]string
	data []byte
	i    int
}

// decode decodes data, one JSON value. It reports false if data is not
// JSON, or is JSON it leaves to encoding/json: a value nested deeper than
// maxDepth. (A string with escapes or bytes that are not UTF-8 it has
// encoding/json unquote.) FuzzDecodeValue checks it against encoding/json.
func (d *valueDecoder) decode(data []byte) (any, bool) {
	d.data, d.i = data, 0
	v, ok := d.value(0)
	d.space()
	ok = ok && d.i == len(d.data)
	d.data = nil
	return v, ok
}

func (d *valueDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *valueDecoder) value(depth int) (any, bool) {
	d.space()
	if d.i == len(d.data) || depth > maxDepth {
		return nil, false
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, false
}

func (d *valueDecoder) literal(word string) bool {
	if len(d.data)-d.i < len(word) || string(d.data[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *valueDecoder) object(depth int) (any, bool) {
	d.i++ // '{'
	obj := map[string]any{}
	if d.end('}') {
		return obj, true
	}
	for {
		d.space()
		if d.i == len(d.data) || d.data[d.i] != '"' {
			return nil, false
		}
		key, ok := d.key()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i == len(d.data) || d.data[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		obj[key] = v // a repeated key: the last value, as encoding/json
		if more, ok := d.more('}'); !more {
			return obj, ok
		}
	}
}

func (d *valueDecoder) array(depth int) (any, bool) {
	d.i++ // '['
	arr := []any{}
	if d.end(']') {
		return arr, true
	}
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		arr = append(arr, v)
		if more, ok := d.more(']'); !more {
			return arr, ok
		}
	}
}

// end reads close if it comes next (after whitespace), and reports
// whether it did: an empty object or array.
func (d *valueDecoder) end(close byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == close {
		d.i++
		return true
	}
	return false
}

// more reads what follows an element: a ',' before another (more), or
// close (ok), or anything else (neither).
func (d *valueDecoder) more(close byte) (more, ok bool) {
	d.space()
	if d.i == len(d.data) {
		return false, false
	}
	c := d.data[d.i]
	d.i++
	return c == ',', c == close
}

// key reads an object's key, the one kept if it is.
func (d *valueDecoder) key() (string, bool) {
	start := d.i
	plain, ok := d.skipString()
	if !ok {
		return "", false
	}
	raw := d.data[start:d.i] // as written, quotes and escapes too
	if k, found := d.keys[string(raw)]; found {
		return k, true
	}
	key, ok := unquote(raw, plain)
	if ok && len(raw) <= maxKeyLen && len(d.keys) < maxKeys {
		if d.keys == nil {
			d.keys = make(map[string]string)
		}
		d.keys[string(raw)] = key
	}
	return key, ok
}

// string reads a string.
func (d *valueDecoder) string() (string, bool) {
	start := d.i
	plain, ok := d.skipString()
	if !ok {
		return "", false
	}
	return unquote(d.data[start:d.i], plain)
}

// skipString reads past the string that starts next, and reports whether
// it is plain: no escapes, and UTF-8.
func (d *valueDecoder) skipString() (plain, ok bool) {
	start := d.i
	d.i++ // '"'
	escaped, ascii := false, true
	for ; d.i < len(d.data); d.i++ {
		switch c := d.data[d.i]; {
		case c == '"':
			d.i++
			return !escaped && (ascii || utf8.Valid(d.data[start+1:d.i-1])), true
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte, which may be '"'
		case c < 0x20:
			return false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false, false
}

// unquote returns the string quoted, a JSON string; one that is not plain
// (with escapes, or bytes that are not UTF-8) encoding/json unquotes, and
// replaces bad bytes with U+FFFD.
func unquote(quoted []byte, plain bool) (string, bool) {
	if plain {
		return string(quoted[1 : len(quoted)-1]), true
	}
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}

// number reads a number as the JSON grammar has it, kept as written.
func (d *valueDecoder) number() (any, bool) {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.data) && d.data[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return nil, false
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(d.data[start:d.i]), true
}

func (d *valueDecoder) digits() int {
	start := d.i
	for d.i < len(d.data) && '0' <= d.data[d.i] && d.data[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}
