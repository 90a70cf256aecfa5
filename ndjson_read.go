package pager

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// A lineReader cuts a stream into runs of whole lines, as a bufio.Scanner
// cuts it into lines: with one buffer, grown to hold the longest line, on
// the goroutine that calls next, and reading only when that goroutine asks
// for more lines.
type lineReader struct {
	r        io.Reader
	ctx      context.Context
	maxLine  int
	skip     bool // go on after a line too long
	readSize int  // the most asked of r at a time

	buf      []byte // buf[:n] is the start of line number line, with no "\n" in it
	n, m     int    // buf[n:n+m] was read and is not yet looked at
	used     int    // buf[:used] was returned by next, and is dropped by the next call
	err      error  // what the reader returned after buf[n:n+m]
	line     int
	off      int64 // of buf[0] in the stream
	skipping bool  // the line at off is too long: drop it up to its end
	skipped  int64 // bytes of it dropped so far
	done     bool
	empty    int // successive reads that returned nothing
}

// A chunk is a run of whole lines; at the end of the stream the last may
// lack its "\n".
type chunk struct {
	data []byte
	line int   // number of the first line
	off  int64 // of the first line in the stream
}

// next returns the next run of whole lines, which stays valid until the
// following call. At the end of the stream it returns io.EOF; for a line too
// long or a failed read, a *LineError. After an error it returns io.EOF,
// unless the error is a line too long and lines are skipped.
func (lr *lineReader) next() (chunk, error) {
	lr.compact()
	for !lr.done {
		if lr.m == 0 && lr.err == nil {
			if lr.n == len(lr.buf) {
				lr.grow()
			}
			// Not past the longest line allowed, unless that is shorter
			// than a read.
			end := min(len(lr.buf), lr.n+lr.readSize, max(lr.maxLine+lineSlack+1, lr.readSize))
			if lr.m, lr.err = lr.readSome(lr.buf[lr.n:end]); lr.m == 0 && lr.err == nil {
				continue
			}
		}
		if lr.skipping && !lr.skipRest() && lr.err == nil {
			continue
		}
		if i := bytes.LastIndexByte(lr.buf[lr.n:lr.n+lr.m], '\n'); i >= 0 {
			return lr.cut(lr.n + i + 1), nil
		}
		lr.n, lr.m = lr.n+lr.m, 0
		switch {
		case lr.err == io.EOF:
			lr.done = true
			if lr.n > 0 {
				return lr.cut(lr.n), nil
			}
		case lr.err != nil:
			lr.done = true
			return chunk{}, &LineError{Line: lr.line, ByteOffset: lr.off, Err: fmt.Errorf("pager: reading: %w", lr.err)}
		case lr.n > lr.maxLine+lineSlack:
			err := lr.tooLong()
			lr.done = !lr.skip
			lr.skipping, lr.skipped, lr.n = true, int64(lr.n), 0
			return chunk{}, err
		}
	}
	return chunk{}, io.EOF
}

// cut returns buf[:end], which ends a line or the stream.
func (lr *lineReader) cut(end int) chunk {
	c := chunk{data: lr.buf[:end], line: lr.line, off: lr.off}
	lr.used, lr.line, lr.off = end, lr.line+bytes.Count(c.data, nl), lr.off+int64(end)
	return c
}

var nl = []byte("\n")

// compact drops what the last call of next returned, and moves what
// follows it, to be looked at again, to the front of buf. It gives up a
// buffer that grew past keepMax for one of readSize once it can.
func (lr *lineReader) compact() {
	rest := lr.buf[lr.used : lr.n+lr.m]
	if lr.buf == nil || len(lr.buf) > keepMax && len(rest) <= lr.readSize {
		lr.buf = make([]byte, lr.readSize)
	}
	lr.n, lr.m, lr.used = 0, copy(lr.buf, rest), 0
}

// skipRest drops buf[:m], the next bytes of a line too long, up to the
// line's end, and reports whether it found it; it moves what follows to the
// front of buf.
func (lr *lineReader) skipRest() bool {
	i := bytes.IndexByte(lr.buf[:lr.m], '\n')
	if i < 0 {
		lr.skipped += int64(lr.m)
		lr.m = 0
		return false
	}
	lr.m = copy(lr.buf, lr.buf[i+1:lr.m])
	lr.line, lr.off = lr.line+1, lr.off+lr.skipped+int64(i+1)
	lr.skipping = false
	return true
}

// tooLong returns the error for the line at buf[:n], too long.
func (lr *lineReader) tooLong() *LineError {
	err := &LineError{Line: lr.line, ByteOffset: lr.off, Err: ErrLineTooLong, Excerpt: excerpt(lr.buf[:lr.n])}
	if lr.off == 0 && bytes.HasPrefix(lr.buf[:lr.n], bom) {
		err.ByteOffset, err.Excerpt = int64(len(bom)), excerpt(lr.buf[len(bom):lr.n])
	}
	return err
}

// readSome reads into p, unless the context is done.
func (lr *lineReader) readSome(p []byte) (int, error) {
	if err := lr.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := lr.r.Read(p)
	if n < 0 || n > len(p) {
		return 0, fmt.Errorf("pager: the reader returned %d for a buffer of %d bytes", n, len(p))
	}
	if n > 0 || err != nil {
		lr.empty = 0
	} else if lr.empty++; lr.empty == 100 {
		return 0, io.ErrNoProgress // as bufio does
	}
	return n, err
}

// grow doubles buf for a longer line, up to the longest allowed.
func (lr *lineReader) grow() {
	bigger := make([]byte, min(2*len(lr.buf), max(lr.maxLine+lineSlack+1, len(lr.buf)+1)))
	copy(bigger, lr.buf[:lr.n])
	lr.buf = bigger
}
