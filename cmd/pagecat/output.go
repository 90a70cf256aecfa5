package main

import (
	"bytes"
	"encoding/json"
	"io"
)

// flushSize is how many bytes of whole lines a lineWriter gathers before
// it writes them.
const flushSize = 64 << 10

// A lineWriter writes NDJSON to w in whole lines only: each Write it makes
// ends with a line's end, so that if pagecat is killed the output ends
// with a whole record, never half of one.
type lineWriter struct {
	w   io.Writer
	buf bytes.Buffer
	err error
}

// writeItem adds item, compacted, as a line, and writes out the lines
// gathered when they reach flushSize. It returns an error only if item,
// which has whitespace to remove, is not JSON; an error writing is kept
// for flush to return.
//
// The walk's decoder checked the item: one with no whitespace outside its
// strings is compact already, and is copied as it is, which costs a
// fifth of json.Compact.
func (lw *lineWriter) writeItem(item json.RawMessage) error {
	if isCompact(item) {
		lw.buf.Write(item)
	} else {
		n := lw.buf.Len()
		if err := json.Compact(&lw.buf, item); err != nil {
			lw.buf.Truncate(n)
			return err
		}
	}
	lw.buf.WriteByte('\n')
	if lw.buf.Len() >= flushSize {
		_ = lw.flush()
	}
	return nil
}

// flush writes the gathered lines in one Write. After an error, every
// flush returns it.
func (lw *lineWriter) flush() error {
	if lw.err != nil {
		lw.buf.Reset()
		return lw.err
	}
	if lw.buf.Len() == 0 {
		return nil
	}
	n, err := lw.w.Write(lw.buf.Bytes())
	if err == nil && n < lw.buf.Len() {
		err = io.ErrShortWrite
	}
	lw.err = err
	if lw.buf.Cap() > 4*flushSize {
		lw.buf = bytes.Buffer{} // one huge item: do not keep its memory
	}
	lw.buf.Reset()
	return err
}

// writeLines adds lines, whole lines of compact JSON each ending with a
// line's end, and writes out the lines gathered when they reach flushSize.
func (lw *lineWriter) writeLines(lines []byte) {
	lw.buf.Write(lines)
	if lw.buf.Len() >= flushSize {
		_ = lw.flush()
	}
}

// isCompact reports whether item, valid JSON, is compact: it has no
// whitespace outside its strings.
func isCompact(item []byte) bool {
	for i := 0; i < len(item); i++ {
		switch item[i] {
		case ' ', '\t', '\n', '\r':
			return false
		case '"':
			for i++; i < len(item) && item[i] != '"'; i++ {
				if item[i] == '\\' {
					i++ // the escaped byte, which may be '"'
				}
			}
		}
	}
	return true
}
