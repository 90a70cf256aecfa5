package pager

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
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

const excerptSize = 40 // bytes of a bad line in its LineError

// decodePart decodes the lines of p into p.items.
func (w *ndjsonWalk[T]) decodePart(p *part[T], decode func([]byte, *T) error) {
	data, line, off := p.data, p.line, p.offset
	if off == 0 && bytes.HasPrefix(data, bom) {
		data, off = data[len(bom):], int64(len(bom))
	}
	skipping := w.src.cfg.skipBad != nil
	maxLine := w.src.cfg.maxLineSize
	p.items = make([]T, p.lines)
	n := 0
	for len(data) > 0 {
		text, rest := data, []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, rest = data[:i], data[i+1:]
		}
		text = bytes.TrimSuffix(text, cr)
		// A line too long is too long even if blank, as the reader, which
		// cannot wait to see, already calls longer ones.
		if long := len(text) > maxLine; long || !blank(text) {
			err := ErrLineTooLong
			if !long {
				err = decode(text, &p.items[n])
			}
			if err == nil {
				n++
			} else {
				var zero T
				p.items[n] = zero
				p.bad = append(p.bad, badLine{at: n, err: &LineError{Line: line, ByteOffset: off, Err: err, Excerpt: excerpt(text)}})
				if !skipping {
					break
				}
			}
		}
		off += int64(len(data) - len(rest))
		data = rest
		line++
	}
	p.items = p.items[:n:n]
}

var (
	bom = []byte("\xEF\xBB\xBF")
	cr  = []byte("\r")
)

// blank reports whether line is empty or JSON whitespace.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// excerpt returns the start of line for a LineError, cut at a rune boundary.
func excerpt(line []byte) string {
	if len(line) <= excerptSize {
		return string(line)
	}
	n := excerptSize
	for n > excerptSize-utf8.UTFMax && !utf8.RuneStart(line[n]) {
		n--
	}
	return string(line[:n])
}

// newDecoder returns a decoder for one goroutine's use.
func (w *ndjsonWalk[T]) newDecoder() func([]byte, *T) error {
	if f := w.src.cfg.decode; f != nil {
		return func(line []byte, v *T) error { return f(line, v) }
	}
	return new(jsonLines[T]).decode
}
