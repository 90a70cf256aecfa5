package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// flushSize is how many bytes of whole lines a lineWriter gathers before
// it writes them.
const flushSize = 64 << 10

// A lineWriter writes NDJSON to w in whole lines only: each Write it makes
// ends with a line's end, so that if pagecat is killed the output ends
// with a whole record, never half of one.
type lineWriter struct {
	w    io.Writer
	buf  bytes.Buffer
	err  error
	live bool       // set by flushLive before any item: lock mu
	mu   sync.Mutex // between the items and flushLive's flushes
}

func (lw *lineWriter) lock() {
	if lw.live {
		lw.mu.Lock()
	}
}

func (lw *lineWriter) unlock() {
	if lw.live {
		lw.mu.Unlock()
	}
}

// liveFlush is how often live writes out the lines gathered.
const liveFlush = 100 * time.Millisecond

// flushLive writes out the lines gathered every liveFlush, as well as
// when they reach flushSize, until stop is called: a stream's lines go out
// as they come, though the next may be long in coming. It is called before
// the first item is written.
func (lw *lineWriter) flushLive() (stop func()) {
	lw.live = true
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(liveFlush)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = lw.flush()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
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
	lw.lock()
	defer lw.unlock()
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
		_ = lw.flushLocked()
	}
	return nil
}

// flush writes the gathered lines in one Write. After an error, every
// flush returns it.
func (lw *lineWriter) flush() error {
	lw.lock()
	defer lw.unlock()
	return lw.flushLocked()
}

func (lw *lineWriter) flushLocked() error {
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
	lw.lock()
	defer lw.unlock()
	lw.buf.Write(lines)
	if lw.buf.Len() >= flushSize {
		_ = lw.flushLocked()
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
