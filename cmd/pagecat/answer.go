package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pagerseq/pager/pagerhttp"
)

// An answer is a 2xx response detection read: a page, whole, or a stream
// from its first byte.
type answer struct {
	url    string // as asked for
	header http.Header
	body   []byte        // a page's body
	stream io.ReadCloser // a stream's body, from its first byte; nil for a page

	obj   *object           // a page that is a JSON object; nil for an array
	items []json.RawMessage // a page's items, once known
}

// readError is an error reading an answer's body: retryable if the body
// was cut short.
type readError struct {
	err       error
	retryable bool
}

func (e *readError) Error() string   { return e.err.Error() }
func (e *readError) Unwrap() error   { return e.err }
func (e *readError) Retryable() bool { return e.retryable }

// read reads resp, the answer to a request for u: a page, of at most
// limit bytes, or if stream, a stream of JSON lines (by its Content-Type, or by
// a second JSON value after the first), of which it reads no more than the
// first value and the first byte of the second. It closes resp's body,
// but a stream's.
func read(resp *http.Response, u string, limit int64, stream bool) (a *answer, err error) {
	a = &answer{url: u, header: resp.Header}
	if stream && isNDJSON(resp.Header.Get("Content-Type")) {
		a.stream = resp.Body
		return a, nil
	}
	defer func() {
		if a == nil || a.stream == nil {
			resp.Body.Close()
		}
	}()
	fail := func(err error, retryable bool) (*answer, error) {
		return nil, &readError{fmt.Errorf("GET %s: %w", redactURL(u), err), retryable}
	}
	lim := &bounded{r: resp.Body, n: limit}
	br := bufio.NewReader(lim)
	dec := json.NewDecoder(br)
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, errTooLarge):
			return fail(fmt.Errorf("%w: more than %d bytes (-max-body-size)", pagerhttp.ErrBodyTooLarge, limit), false)
		case errors.Is(err, io.EOF):
			return fail(errors.New("the body is empty, not JSON"), false)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fail(errors.New("the body ends inside its JSON: cut short"), true)
		case errors.As(err, &se):
			return fail(fmt.Errorf("the body is not JSON (%v): it starts %q", err, start(dec, br)), false)
		}
		var r interface{ Retryable() bool }
		return fail(err, !errors.As(err, &r) || r.Retryable())
	}
	rest := io.MultiReader(dec.Buffered(), br)
	var c [1]byte
	newline := false // between the first value and the next byte
	for {
		_, err := io.ReadFull(rest, c[:])
		if err == io.EOF {
			a.body = first // a page: one JSON value
			return a, nil
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return fail(fmt.Errorf("%w: more than %d bytes (-max-body-size)", pagerhttp.ErrBodyTooLarge, limit), false)
			}
			return fail(err, true)
		}
		if !isSpace(c[0]) {
			break
		}
		newline = newline || c[0] == '\n'
	}
	if !stream || !newline || (c[0] != '{' && c[0] != '[') {
		return fail(fmt.Errorf("the body holds more after its JSON value: %q", c[:]), false)
	}
	// A stream: its first value, a line's end, and the rest as it comes,
	// with no bound on its size (its lines have pager's).
	lim.n = -1
	a.stream = readCloser{io.MultiReader(bytes.NewReader(append(first, '\n')), bytes.NewReader(c[:]), rest), resp.Body}
	return a, nil
}

// start returns the first bytes of a body that did not decode.
func start(dec *json.Decoder, br *bufio.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(io.MultiReader(dec.Buffered(), br), 40))
	return string(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

type readCloser struct {
	io.Reader
	io.Closer
}

var errTooLarge = errors.New("too large")

// bounded reads at most n bytes of r (n < 0: all), and fails past them.
type bounded struct {
	r io.Reader
	n int64
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.n < 0 {
		return b.r.Read(p)
	}
	if b.n == 0 {
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// isNDJSON reports whether a Content-Type names a stream of JSON lines.
func isNDJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return true
	}
	return false
}
