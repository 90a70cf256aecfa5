package pager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// writeSize is how much WriteNDJSON buffers before writing.
const writeSize = 64 << 10

// WriteNDJSON writes the items of seq to w as NDJSON, one JSON value per
// line, each followed by "\n", encoded as by [json.Marshal] or by the
// function given with [EncodeWith]; other options are ignored. It buffers
// its writes, and returns the number of items written in full to w.
//
// If seq yields an error, WriteNDJSON stops there: it writes out the items
// before it and returns that error, unchanged unless writing them out failed
// too (then both are joined). An early-terminating export is then
//
//	n, err := pager.WriteNDJSON(w, pager.Take(pager.All(ctx, src), 10000))
//
// An item that does not encode, or a failed write, also ends the walk, with
// an error that says which item. WriteNDJSON panics if w or seq is nil.
func WriteNDJSON[T any](w io.Writer, seq iter.Seq2[T, error], opts ...Option) (int, error) {
	if w == nil || seq == nil {
		panic("pager: WriteNDJSON with a nil io.Writer or sequence")
	}
	c := newConfig(writeSrc, opts)
	lw := &lineWriter{w: w, encode: c.encode}
	lw.enc = json.NewEncoder(&lw.buf)
	for v, err := range seq {
		if err != nil {
			return lw.flush(err)
		}
		if err := lw.add(v); err != nil {
			return lw.flush(err)
		}
	}
	return lw.flush(nil)
}

// lineWriter buffers encoded lines, and counts the items that made it to w.
type lineWriter struct {
	w       io.Writer
	encode  func(any) ([]byte, error) // nil: enc
	enc     *json.Encoder             // encodes into buf
	buf     bytes.Buffer
	ends    []int // where each item in buf ends
	written int   // items written in full to w
	err     error // of w: it is not written to again
}

// add encodes v and appends it to the buffer, writing the buffer out once
// it is full.
func (lw *lineWriter) add(v any) error {
	item := lw.written + len(lw.ends)
	if err := lw.append(v); err != nil {
		return fmt.Errorf("pager: encoding item %d: %w", item, err)
	}
	lw.ends = append(lw.ends, lw.buf.Len())
	if lw.buf.Len() < writeSize {
		return nil
	}
	return lw.write()
}

func (lw *lineWriter) append(v any) error {
	if lw.encode == nil {
		size := lw.buf.Len()
		if err := lw.enc.Encode(v); err != nil {
			lw.buf.Truncate(size)
			return err
		}
		return nil
	}
	b, err := lw.encode(v)
	switch {
	case err != nil:
		return err
	case bytes.IndexByte(b, '\n') >= 0:
		return errors.New("pager: the encoded value spans lines")
	case blank(b):
		return errors.New("pager: the encoded value is blank")
	}
	lw.buf.Write(b)
	lw.buf.WriteByte('\n')
	return nil
}

// write writes out the buffer, and counts the items that went out whole.
func (lw *lineWriter) write() error {
	if lw.err != nil {
		return lw.err
	}
	n, err := lw.w.Write(lw.buf.Bytes())
	if err == nil && n < lw.buf.Len() {
		err = io.ErrShortWrite
	}
	whole := 0
	for whole < len(lw.ends) && lw.ends[whole] <= n {
		whole++
	}
	lw.written += whole
	lw.buf.Reset()
	lw.ends = lw.ends[:0]
	if err != nil {
		lw.err = fmt.Errorf("pager: writing item %d: %w", lw.written, err)
	}
	return lw.err
}

// flush writes out the buffer, and returns the count of items written with
// err, or with the write error if err is nil.
func (lw *lineWriter) flush(err error) (int, error) {
	if lw.buf.Len() > 0 {
		if werr := lw.write(); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return lw.written, err
}
