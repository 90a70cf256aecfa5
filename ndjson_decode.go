package pager

import (
	"encoding/json"
	"errors"
	"io"
)

// jsonLines decodes lines as json.Unmarshal does, but with one json.Decoder
// fed a line at a time, so that the decoder's buffer and scanner are reused:
// json.Unmarshal allocates them anew for every call, a third of the
// allocations of a typical line. Whatever the decoder does not accept is
// handed to json.Unmarshal, whose verdict and error stand: on every line the
// outcome is Unmarshal's.
type jsonLines[T any] struct {
	dec  *json.Decoder
	feed lineFeed
}

// bigLine is the line length past which a decoder is dropped after use, so
// that it does not keep the line's memory.
const bigLine = 1 << 20

var errTrailing = errors.New("pager: data after the value")

func (d *jsonLines[T]) decode(line []byte, v *T) error {
	if d.dec == nil {
		d.feed = lineFeed{}
		d.dec = json.NewDecoder(&d.feed)
	}
	start := d.feed.total // where line starts in what dec has read
	d.feed.line = line
	err := d.dec.Decode(v)
	if err == nil && !blank(line[d.dec.InputOffset()-start:]) {
		err = errTrailing
	}
	if err == nil && len(line) <= bigLine {
		return nil
	}
	// dec may be stuck on an error, or hold bytes of this line.
	d.dec = nil
	if err == nil {
		return nil
	}
	var zero T
	*v = zero
	return json.Unmarshal(line, v)
}

// lineFeed is what a jsonLines decoder reads: one line, then io.EOF until
// the next line is set, which a json.Decoder takes as the end of a number
// at the end of the line, or as a value cut short.
type lineFeed struct {
	line  []byte // what is left to read
	total int64  // bytes read so far
}

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.line) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.line)
	f.line = f.line[n:]
	f.total += int64(n)
	return n, nil
}
