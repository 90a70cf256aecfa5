package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/itchyny/gojq"
)

// A jqProgram is what -jq and -slurp do to the items: run a jq expression
// on each item and write each of its results as a line, or (-slurp) keep
// the items and, at the end, write them as one JSON array, or the results
// of the expression run on that array, as jq -s does.
type jqProgram struct {
	code   *gojq.Code // nil: the items as they are
	slurp  bool
	all    []any // -slurp: the items so far, decoded for code, or raw
	lines  bytes.Buffer
	values valueDecoder
	dec    *json.Decoder // see decode
	feed   feed
}

// newJQ compiles expr (which may be "") for -jq and -slurp.
func newJQ(expr string, slurp bool) (*jqProgram, error) {
	j := &jqProgram{slurp: slurp}
	if expr == "" {
		return j, nil
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("-jq: %w", err)
	}
	if j.code, err = gojq.Compile(q, gojq.WithEnvironLoader(os.Environ)); err != nil { // $ENV and env, as in jq
		return nil, fmt.Errorf("-jq: %w", err)
	}
	return j, nil
}

// run runs the program on item, at offset pos of the listing, and adds
// its results to out; on an error it adds none.
func (j *jqProgram) run(out *lineWriter, item json.RawMessage, pos int) error {
	if j.code == nil && j.slurp {
		var b bytes.Buffer
		if err := json.Compact(&b, item); err != nil {
			return err
		}
		j.all = append(j.all, json.RawMessage(b.Bytes()))
		return nil
	}
	v, err := j.decode(item)
	if err != nil {
		return err
	}
	if j.slurp {
		j.all = append(j.all, v)
		return nil
	}
	j.lines.Reset()
	if err := j.results(v); err != nil {
		return err
	}
	out.writeLines(j.lines.Bytes())
	return nil
}

// end writes what -slurp kept.
func (j *jqProgram) end(out *lineWriter) error {
	if !j.slurp {
		return nil
	}
	j.lines.Reset()
	if j.code == nil {
		data, err := json.Marshal(j.all)
		if err != nil {
			return err
		}
		j.lines.Write(data)
		j.lines.WriteByte('\n')
	} else if err := j.results(j.all); err != nil {
		return fmt.Errorf("-slurp: %w", err)
	}
	j.all = nil
	out.writeLines(j.lines.Bytes())
	return nil
}

// results runs the program on v and writes its results to j.lines, a line
// each.
func (j *jqProgram) results(v any) error {
	iter := j.code.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			if h, ok := err.(*gojq.HaltError); ok && h.Value() == nil {
				return nil // halt: stop, with no error
			}
			return &jqError{err}
		}
		data, err := gojq.Marshal(r)
		if err != nil {
			return &jqError{err}
		}
		j.lines.Write(data)
		j.lines.WriteByte('\n')
	}
}

// decode decodes an item for gojq, keeping its numbers as written: with
// a valueDecoder, or, for what it leaves (and items that are not JSON, to
// say why), with encoding/json. One decoder serves every item, fed each
// in turn, which spares a decoder and its buffer per item; after an
// error, a new one is made.
func (j *jqProgram) decode(item json.RawMessage) (any, error) {
	if v, ok := j.values.decode(item); ok {
		return v, nil
	}
	if j.dec == nil {
		j.dec = json.NewDecoder(&j.feed)
		j.dec.UseNumber()
	}
	j.feed.b = item
	var v any
	if err := j.dec.Decode(&v); err != nil {
		j.dec = nil
		return nil, err
	}
	return v, nil
}

// A feed is a reader of one item at a time: at its end it reports io.EOF,
// which a json.Decoder takes as the end of a number, not as an error
// that sticks, so that it reads the next item when it is given one.
type feed struct{ b []byte }

func (f *feed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// A jqError is an error of the -jq expression on an item.
type jqError struct{ err error }

func (e *jqError) Error() string { return "jq: " + e.err.Error() }
func (e *jqError) Unwrap() error { return e.err }
