package pagerhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeObject decodes body, a JSON object, in one streaming pass: the
// array at the dotted path items into *into, and the value at each dotted
// path in fields into the RawMessage it maps to (left nil where absent).
// It returns the JSON of the items, or nil if they were not found. A path
// matches a key spelled with dots in it too ("@odata.nextLink").
//
// It fails where [json.Unmarshal] of the body would, and, where a key is
// repeated, keeps the last value, as json.Unmarshal into a map does.
func decodeObject[T any](body []byte, items string, into *[]T, fields map[string]*json.RawMessage) ([]byte, error) {
	d := &scanner[T]{items: items, into: into, fields: fields}
	err := d.scan(body)
	return d.span, err
}

// A scanner decodes a JSON body in one streaming pass, as decodeObject
// says. With items "", the body is the array of items.
type scanner[T any] struct {
	items    string
	into     *[]T
	fields   map[string]*json.RawMessage
	dropNull bool // leave null items out (GraphQL's nodes)

	body []byte
	dec  *json.Decoder
	span []byte // the items' JSON; nil: not found
	last []byte // the last item's JSON; nil: none
}

// scan decodes body, which holds nothing after its one value.
func (d *scanner[T]) scan(body []byte) error {
	d.body, d.dec = body, json.NewDecoder(bytes.NewReader(body))
	var err error
	if d.items == "" {
		err = d.array("")
	} else {
		err = d.object("")
	}
	if err != nil {
		if errors.Is(err, io.EOF) { // the body ends inside the value: cut short
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return errors.New("invalid character after the top-level value")
	}
	return nil
}

// object decodes the object that starts next, at the dotted path prefix
// ("" at the top, else ending in ".").
func (d *scanner[T]) object(prefix string) error {
	if err := d.delim('{'); err != nil {
		return err
	}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		path := prefix + tok.(string) // a key: Token checks the syntax
		if err := d.value(path); err != nil {
			return err
		}
	}
	return d.delim('}')
}

// value decodes the value that comes next, at path.
func (d *scanner[T]) value(path string) error {
	if path == d.items {
		return d.array(path)
	}
	if raw, ok := d.fields[path]; ok {
		return d.dec.Decode(raw)
	}
	if d.under(path + ".") {
		// A repeated key's last value wins: forget what an earlier one
		// held, then read this one.
		d.reset(path + ".")
		if d.peek() == '{' {
			return d.object(path + ".")
		}
	}
	var skip skipped
	return d.dec.Decode(&skip)
}

// array decodes the items, or null, into d.into, replacing any decoded
// before under an earlier, repeated key.
func (d *scanner[T]) array(path string) (err error) {
	start := d.next()
	defer func() {
		if err == nil {
			d.span = d.body[start:d.dec.InputOffset()]
		}
	}()
	*d.into, d.last = (*d.into)[:0], nil
	switch d.peek() {
	case 'n':
		*d.into = nil
		var null skipped
		return d.dec.Decode(&null)
	case '[':
	default:
		var wrong []T // the error json.Unmarshal gives
		if err := d.dec.Decode(&wrong); err != nil {
			return fmt.Errorf("%q: %w", path, err)
		}
	}
	if err := d.delim('['); err != nil {
		return err
	}
	var zero T
	var last [2]int64 // where the last item is, with the comma and space before it
	for d.dec.More() {
		last[0] = d.dec.InputOffset()
		if d.dropNull && d.peek() == 'n' {
			var null skipped
			if err := d.dec.Decode(&null); err != nil {
				return err
			}
			continue
		}
		// Into the slice itself: decoding into a variable of its own
		// would allocate it on the heap, once per item.
		*d.into = append(*d.into, zero)
		if err := d.dec.Decode(&(*d.into)[len(*d.into)-1]); err != nil {
			return err
		}
		last[1] = d.dec.InputOffset()
	}
	if last[1] > 0 {
		d.last = bytes.TrimLeft(d.body[last[0]:last[1]], " \t\r\n,")
	}
	if *d.into == nil {
		*d.into = []T{}
	}
	return d.delim(']')
}

// under reports whether a wanted path goes through prefix.
func (d *scanner[T]) under(prefix string) bool {
	if strings.HasPrefix(d.items, prefix) {
		return true
	}
	for path := range d.fields {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// reset forgets what was decoded under prefix.
func (d *scanner[T]) reset(prefix string) {
	if strings.HasPrefix(d.items, prefix) {
		*d.into, d.span, d.last = nil, nil, nil
	}
	for path, raw := range d.fields {
		if strings.HasPrefix(path, prefix) {
			*raw = nil
		}
	}
}

// next returns the offset in the body of the value that comes next.
func (d *scanner[T]) next() int64 {
	at := d.dec.InputOffset()
	rest := d.body[at:]
	return at + int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n:,")))
}

// peek returns the first byte of the value that comes next, or 0.
func (d *scanner[T]) peek() byte {
	if at := d.next(); at < int64(len(d.body)) {
		return d.body[at]
	}
	return 0
}

// delim reads the delimiter want.
func (d *scanner[T]) delim(want json.Delim) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("got %v, want %v", tok, want)
	}
	return nil
}

// skipped is a JSON value decoded only to check its syntax.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }
