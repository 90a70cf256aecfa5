package pager_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/logstream"
	"go.uber.org/goleak"
)

type rec struct {
	ID  int    `json:"id"`
	Msg string `json:"msg,omitempty"`
}

// forProcs runs f as a subtest with GOMAXPROCS 1 and 2: the NDJSON source
// decodes on the consumer's goroutine alone with one, on workers with more.
func forProcs(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			f(t)
		})
	}
}

// readAll walks an NDJSON source over input.
func readAll[T any](input string, opts ...pager.Option) ([]T, error) {
	return pager.Collect(pager.All(context.Background(), pager.NDJSON[T](strings.NewReader(input), opts...)))
}

// lineErr is what a test expects of a *LineError.
type lineErr struct {
	Line   int
	Offset int64
	Is     error  // errors.Is(err, Is), if not nil
	Msg    string // a part of the message, if not ""
}

// checkLineErr checks that err is a *LineError as described by want, or nil
// if want is.
func checkLineErr(t *testing.T, err error, want *lineErr) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	var le *pager.LineError
	if !errors.As(err, &le) {
		t.Fatalf("got error %v (%T), want a *LineError", err, err)
	}
	if le.Line != want.Line || le.ByteOffset != want.Offset {
		t.Errorf("got line %d at byte %d, want line %d at byte %d (%v)", le.Line, le.ByteOffset, want.Line, want.Offset, err)
	}
	if want.Is != nil && !errors.Is(err, want.Is) {
		t.Errorf("got %v, want an error that Is %v", err, want.Is)
	}
	if !strings.Contains(err.Error(), want.Msg) {
		t.Errorf("got message %q, want it to contain %q", err, want.Msg)
	}
	if !strings.HasPrefix(err.Error(), "pager: ") {
		t.Errorf("got message %q, want it to start with %q", err, "pager: ")
	}
}

func TestNDJSONLines(t *testing.T) {
	tests := []struct {
		label  string
		input  string
		want   []rec
		err    *lineErr
		reason string
	}{
		{label: "empty", input: "", reason: "an empty stream has no items and no error"},
		{label: "only blanks", input: "\n\r\n \t\n", reason: "blank lines are skipped"},
		{
			label: "newlines", input: `{"id":1}` + "\n" + `{"id":2}` + "\n",
			want: []rec{{ID: 1}, {ID: 2}}, reason: "one value per line",
		},
		{
			label: "no final newline", input: `{"id":1}` + "\n" + `{"id":2}`,
			want: []rec{{ID: 1}, {ID: 2}}, reason: "the last line may lack its newline",
		},
		{
			label: "CRLF", input: `{"id":1}` + "\r\n" + `{"id":2}` + "\r\n",
			want: []rec{{ID: 1}, {ID: 2}}, reason: "lines may end in \\r\\n",
		},
		{
			label: "blank lines between", input: "\n" + `{"id":1}` + "\n\n   \n\t\r\n" + `{"id":2}` + "\n\n",
			want: []rec{{ID: 1}, {ID: 2}}, reason: "blank and whitespace lines are skipped",
		},
		{
			label: "spaces around", input: "  {\"id\":1}  \t\n",
			want: []rec{{ID: 1}}, reason: "whitespace around the value is JSON whitespace",
		},
		{
			label: "BOM", input: "\xEF\xBB\xBF" + `{"id":1}` + "\n",
			want: []rec{{ID: 1}}, reason: "a byte-order mark at the start is skipped",
		},
		{
			label: "BOM, bad first line", input: "\xEF\xBB\xBF{",
			err:    &lineErr{Line: 1, Offset: 3, Msg: "unexpected end of JSON input"},
			reason: "the first line starts after the byte-order mark",
		},
		{
			label: "BOM later", input: `{"id":1}` + "\n\xEF\xBB\xBF" + `{"id":2}` + "\n",
			want:   []rec{{ID: 1}},
			err:    &lineErr{Line: 2, Offset: 9, Msg: "invalid character"},
			reason: "only a byte-order mark at the start of the stream is skipped",
		},
		{
			label: "malformed", input: `{"id":1}` + "\n" + `{"id":2` + "\n" + `{"id":3}` + "\n",
			want:   []rec{{ID: 1}},
			err:    &lineErr{Line: 2, Offset: 9, Msg: `the line starts "{\"id\":2"`},
			reason: "a malformed line ends the walk; nothing after it is yielded",
		},
		{
			label: "two values", input: `{"id":1}` + "\n" + `{"id":2} {"id":3}` + "\n" + `{"id":4}` + "\n",
			want:   []rec{{ID: 1}},
			err:    &lineErr{Line: 2, Offset: 9, Msg: "after top-level value"},
			reason: "a line holds one value",
		},
		{
			label: "value across lines", input: `{"id":` + "\n" + `1}` + "\n",
			err:    &lineErr{Line: 1, Offset: 0, Msg: "unexpected end of JSON input"},
			reason: "a value does not continue on the next line",
		},
		{
			label: "truncated last line", input: `{"id":1}` + "\r\n" + `{"id":2,"msg":"cut sh`,
			want:   []rec{{ID: 1}},
			err:    &lineErr{Line: 2, Offset: 10, Msg: "unexpected end of JSON input"},
			reason: "a stream that ends mid-value is an error, not a short stream",
		},
		{
			label: "wrong type", input: `{"id":1}` + "\n\n" + `{"id":"two"}` + "\n",
			want:   []rec{{ID: 1}},
			err:    &lineErr{Line: 3, Offset: 10, Msg: "cannot unmarshal string"},
			reason: "a value of the wrong type is a bad line, with the blank line counted",
		},
		{
			label: "scalar for a struct", input: "3\n",
			err:    &lineErr{Line: 1, Offset: 0, Msg: "cannot unmarshal number"},
			reason: "encoding/json semantics",
		},
		{
			label: "null", input: "null\n" + `{"id":1}`,
			want: []rec{{}, {ID: 1}}, reason: "null decodes to the zero value, as with json.Unmarshal",
		},
		{
			label: "unknown fields", input: `{"id":1,"other":[1,2,{"x":null}]}`,
			want: []rec{{ID: 1}}, reason: "unknown fields are ignored, as with json.Unmarshal",
		},
		{
			label: "lone CR inside", input: "{\"id\":1,\r\"msg\":\"a\"}\n",
			want: []rec{{ID: 1, Msg: "a"}}, reason: "a \\r that does not end a line is JSON whitespace",
		},
		{
			label: "escaped newline", input: `{"id":1,"msg":"a\nb"}` + "\n",
			want: []rec{{ID: 1, Msg: "a\nb"}}, reason: "an escaped newline is in a string, not a line ending",
		},
	}
	forProcs(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.label, func(t *testing.T) {
				got, err := readAll[rec](tt.input)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("items (-want +got):\n%s\n%s", diff, tt.reason)
				}
				checkLineErr(t, err, tt.err)
			})
		}
	})
}

func TestNDJSONScalars(t *testing.T) {
	input := "1\n\"two\"\ntrue\nnull\n[3]\n{\"four\":4}\n5.5"
	want := []any{1.0, "two", true, nil, []any{3.0}, map[string]any{"four": 4.0}, 5.5}
	got, err := readAll[any](input)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestNDJSONMatchesUnmarshal checks, line by line, that the source accepts
// what json.Unmarshal accepts, with the same result, and reports what it
// rejects, with the same message.
func TestNDJSONMatchesUnmarshal(t *testing.T) {
	type item struct {
		A int               `json:"a"`
		B string            `json:"b"`
		C []float64         `json:"c"`
		D map[string]string `json:"d"`
		E *item             `json:"e"`
		F json.RawMessage   `json:"f"`
	}
	pieces := []string{
		`{"a":1}`, `{"b":"x"}`, `{"c":[1,2.5]}`, `{"d":{"k":"v"}}`, `{"e":{"a":2}}`, `{"f":[1, {"g":2}]}`,
		`{"a":"x"}`, `{"c":{}}`, `{"a":1}{"a":2}`, `{"a":1} x`, `{"a":`, `[1]`, `7`, `"s"`, `null`, `{}`,
		`{"a":1e400}`, `{"b":"\u00e9\ud800"}`, "{\"b\":\"\xff\"}", `{"a":1,}`, ` {"a" : 3 } `, `tru`, `{"e":null}`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var lines []string
	for range 2000 {
		lines = append(lines, pieces[rng.IntN(len(pieces))])
	}
	var want []item
	var wantErrs []string
	for i, l := range lines {
		var v item
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			wantErrs = append(wantErrs, fmt.Sprintf("line %d: %v", i+1, err))
			continue
		}
		want = append(want, v)
	}
	forProcs(t, func(t *testing.T) {
		var gotErrs []string
		report := func(e *pager.LineError) error {
			gotErrs = append(gotErrs, fmt.Sprintf("line %d: %v", e.Line, e.Err))
			return nil
		}
		got, err := readAll[item](strings.Join(lines, "\n"), pager.SkipBadLines(report))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
}

// genLines returns n lines of NDJSON records with ids from 0.
func genLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"msg":"line %d of the stream"}`+"\n", i, i)
	}
	return b.String()
}

func TestNDJSONPages(t *testing.T) {
	const n = 20000 // about 900 KB: many reads
	forProcs(t, func(t *testing.T) {
		src := pager.NDJSON[rec](strings.NewReader(genLines(n)))
		next, pages := 0, 0
		for p, err := range src.Pages(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Items) == 0 {
				t.Fatalf("page %d is empty", pages)
			}
			if p.Offset != next {
				t.Fatalf("page %d: got Offset %d, want %d", pages, p.Offset, next)
			}
			for i, v := range p.Items {
				if v.ID != next+i {
					t.Fatalf("page %d: item %d: got id %d, want %d", pages, i, v.ID, next+i)
				}
			}
			next += len(p.Items)
		}
		if next != n {
			t.Errorf("got %d items, want %d", next, n)
		}
		if pages < 2 {
			t.Errorf("got %d pages, want several", pages)
		}
	})
}

// TestNDJSONReaders reads the same stream through readers that return it in
// odd pieces.
func TestNDJSONReaders(t *testing.T) {
	input := "\xEF\xBB\xBF" + strings.ReplaceAll(genLines(300), "\n", "\r\n") + "\n\n" + `{"id":300}`
	want, err := readAll[rec](input)
	if err != nil || len(want) != 301 {
		t.Fatalf("got %d items, %v; want 301, no error", len(want), err)
	}
	readers := map[string]func(io.Reader) io.Reader{
		"one byte":  iotest.OneByteReader,
		"half":      iotest.HalfReader,
		"data+EOF":  iotest.DataErrReader,
		"empty 50x": func(r io.Reader) io.Reader { return &emptyReads{r: r, n: 50} },
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			forProcs(t, func(t *testing.T) {
				got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[rec](wrap(strings.NewReader(input)))))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("items (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// emptyReads returns n empty reads before each read of r.
type emptyReads struct {
	r    io.Reader
	n, i int
}

func (e *emptyReads) Read(p []byte) (int, error) {
	if e.i++; e.i%(e.n+1) != 0 {
		return 0, nil
	}
	return e.r.Read(p)
}

func TestNDJSONReadErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		label  string
		r      func() io.Reader
		want   []rec
		err    *lineErr
		reason string
	}{
		{
			label: "fails at once", r: func() io.Reader { return iotest.ErrReader(boom) },
			err: &lineErr{Line: 1, Offset: 0, Is: boom}, reason: "a read error is a *LineError wrapping it",
		},
		{
			label: "fails mid-line", r: func() io.Reader {
				return io.MultiReader(strings.NewReader(`{"id":1}`+"\n"+`{"id":2}`+"\n"+`{"id"`), iotest.ErrReader(boom))
			},
			want: []rec{{ID: 1}, {ID: 2}}, err: &lineErr{Line: 3, Offset: 18, Is: boom},
			reason: "the lines before are yielded; the half line is not decoded",
		},
		{
			label: "fails with data", r: func() io.Reader { return iotest.TimeoutReader(strings.NewReader(`{"id":1}` + "\n")) },
			want: []rec{{ID: 1}}, err: &lineErr{Line: 2, Offset: 9, Is: iotest.ErrTimeout},
			reason: "the second read times out after a whole line",
		},
		{
			label: "no progress", r: func() io.Reader { return &emptyReads{r: strings.NewReader(`{"id":1}`), n: 1000} },
			err: &lineErr{Line: 1, Offset: 0, Is: io.ErrNoProgress}, reason: "a reader that keeps returning nothing is an error",
		},
	}
	forProcs(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.label, func(t *testing.T) {
				got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[rec](tt.r())))
				if len(got) == 0 {
					got = nil
				}
				if len(tt.want) == 0 {
					tt.want = nil
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("items (-want +got):\n%s\n%s", diff, tt.reason)
				}
				checkLineErr(t, err, tt.err)
			})
		}
	})
}

func TestNDJSONLongLine(t *testing.T) {
	long := strings.Repeat("é", 5<<20) // 10 MiB
	input := `{"id":1}` + "\n" + `{"id":2,"msg":"` + long + `"}` + "\n" + `{"id":3}`
	got, err := readAll[rec](input)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Msg != long || got[2].ID != 3 {
		t.Errorf("got %d items, want 3 with the long one in the middle", len(got))
	}
}

func TestNDJSONLineTooLong(t *testing.T) {
	const max = 16
	line16 := `{"msg":"abcdef"}` // 16 bytes
	if len(line16) != max {
		t.Fatalf("len(line16) = %d", len(line16))
	}
	tests := []struct {
		label  string
		input  string
		want   int // items
		err    *lineErr
		reason string
	}{
		{label: "at the limit", input: line16 + "\n" + line16, want: 2, reason: "MaxLineSize bytes are allowed"},
		{label: "CRLF at the limit", input: line16 + "\r\n" + line16 + "\r\n", want: 2, reason: "the line ending does not count"},
		{label: "BOM at the limit", input: "\xEF\xBB\xBF" + line16 + "\n", want: 1, reason: "the byte-order mark does not count"},
		{
			label: "one over", input: line16 + "\n" + line16 + " \n" + line16, want: 1,
			err:    &lineErr{Line: 2, Offset: 17, Is: pager.ErrLineTooLong},
			reason: "whitespace counts: the line is 17 bytes",
		},
		{
			label: "one over, last", input: line16 + "\n" + line16 + " ", want: 1,
			err:    &lineErr{Line: 2, Offset: 17, Is: pager.ErrLineTooLong},
			reason: "the last line is checked too",
		},
		{
			label: "far over", input: line16 + "\n" + strings.Repeat(" ", 1000) + line16 + "\n" + line16, want: 1,
			err:    &lineErr{Line: 2, Offset: 17, Is: pager.ErrLineTooLong, Msg: `the line starts "    `},
			reason: "a line far too long is caught while it is read",
		},
		{
			label: "far over, first, BOM", input: "\xEF\xBB\xBF" + strings.Repeat(" ", 1000),
			err:    &lineErr{Line: 1, Offset: 3, Is: pager.ErrLineTooLong},
			reason: "the first line starts after the byte-order mark",
		},
	}
	forProcs(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.label, func(t *testing.T) {
				got, err := readAll[map[string]string](tt.input, pager.MaxLineSize(max))
				if len(got) != tt.want {
					t.Errorf("got %d items, want %d: %s", len(got), tt.want, tt.reason)
				}
				checkLineErr(t, err, tt.err)
			})
		}
	})
}

// TestNDJSONLineTooLongReadsLittle checks that an endless line is not read
// to its end.
func TestNDJSONLineTooLongReadsLittle(t *testing.T) {
	const max = 1 << 20
	r := &countingReader{r: endless('x')}
	_, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[rec](r, pager.MaxLineSize(max))))
	checkLineErr(t, err, &lineErr{Line: 1, Offset: 0, Is: pager.ErrLineTooLong, Msg: `"xxxx`})
	if got, limit := r.n.Load(), int64(max+128<<10); got > limit {
		t.Errorf("read %d bytes, want at most %d", got, limit)
	}
}

// endless is an io.Reader of c, c, c, … forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestNDJSONSkipBadLines(t *testing.T) {
	input := strings.Join([]string{
		`{"id":1}`,
		`{"id":`, // 2: malformed
		`{"id":3}`,
		`{"id":4}{"id":4}`, // 4: two values
		`{"id":"5"}`,       // 5: wrong type
		`{"id":6,"msg":"` + strings.Repeat("x", 100) + `"}`, // 6: too long, caught on decoding
		strings.Repeat(" ", 300<<10) + `{"id":7}`,           // 7: too long, caught on reading
		`{"id":8}`,
		`{"id":9`, // 9: truncated
	}, "\n")
	type report struct {
		Line int
		Err  string
	}
	forProcs(t, func(t *testing.T) {
		var reports []report
		got, err := readAll[rec](input, pager.MaxLineSize(100), pager.SkipBadLines(func(e *pager.LineError) error {
			reports = append(reports, report{e.Line, e.Err.Error()})
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]rec{{ID: 1}, {ID: 3}, {ID: 8}}, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		want := []report{
			{2, "unexpected end of JSON input"},
			{4, "invalid character '{' after top-level value"},
			{5, "json: cannot unmarshal string into Go struct field rec.id of type int"},
			{6, pager.ErrLineTooLong.Error()},
			{7, pager.ErrLineTooLong.Error()},
			{9, "unexpected end of JSON input"},
		}
		if diff := cmp.Diff(want, reports); diff != "" {
			t.Errorf("reports (-want +got):\n%s", diff)
		}
	})
}

func TestNDJSONSkipBadLinesStops(t *testing.T) {
	stop := errors.New("too many bad lines")
	input := `{"id":1}` + "\nx\n" + `{"id":3}` + "\ny\n" + `{"id":5}` + "\n"
	forProcs(t, func(t *testing.T) {
		var seen []int
		got, err := readAll[rec](input, pager.SkipBadLines(func(e *pager.LineError) error {
			if seen = append(seen, e.Line); len(seen) == 2 {
				return stop
			}
			return nil
		}))
		if err != stop {
			t.Errorf("got error %v, want the one SkipBadLines' func returned", err)
		}
		if diff := cmp.Diff([]rec{{ID: 1}, {ID: 3}}, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{2, 4}, seen); diff != "" {
			t.Errorf("reported lines (-want +got):\n%s", diff)
		}
	})
}

func TestNDJSONSkipDoesNotSkipReadErrors(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"id":1}`+"\n"), iotest.ErrReader(boom))
	got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[rec](r, pager.SkipBadLines(func(e *pager.LineError) error {
		t.Errorf("reported %v, want no report of a read error", e)
		return nil
	}))))
	if len(got) != 1 {
		t.Errorf("got %d items, want 1", len(got))
	}
	checkLineErr(t, err, &lineErr{Line: 2, Offset: 9, Is: boom})
}

func TestNDJSONWalkTwice(t *testing.T) {
	src := pager.NDJSON[rec](strings.NewReader(`{"id":1}`))
	if got, err := pager.Collect(pager.All(context.Background(), src)); err != nil || len(got) != 1 {
		t.Fatalf("first walk: got %v, %v; want 1 item", got, err)
	}
	got, err := pager.Collect(pager.All(context.Background(), src))
	if len(got) != 0 || err == nil || !strings.Contains(err.Error(), "reads its reader once") {
		t.Errorf("second walk: got %v, %v; want no items and an error saying the reader is read once", got, err)
	}
}

func TestNDJSONPanics(t *testing.T) {
	tests := []struct {
		label string
		f     func()
	}{
		{"nil reader", func() { pager.NDJSON[rec](nil) }},
		{"nil SkipBadLines", func() { pager.SkipBadLines(nil) }},
		{"nil DecodeWith", func() { pager.DecodeWith(nil) }},
		{"nil EncodeWith", func() { pager.EncodeWith(nil) }},
		{"nil writer", func() {
			pager.WriteNDJSON(nil, pager.All(context.Background(), pager.NDJSON[rec](strings.NewReader(""))))
		}},
		{"nil sequence", func() { pager.WriteNDJSON[rec](io.Discard, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "pager: ") {
					t.Errorf("got panic %v, want one with a \"pager: \" message", r)
				}
			}()
			tt.f()
		})
	}
}

func TestNDJSONLazy(t *testing.T) {
	r := &countingReader{r: strings.NewReader(genLines(10))}
	src := pager.NDJSON[rec](r)
	_ = src.Pages(context.Background())
	_ = pager.All(context.Background(), src)
	if n := r.n.Load(); n != 0 {
		t.Errorf("read %d bytes before the loop, want 0", n)
	}
}

// TestNDJSONTakeReadsLittle takes 10 lines of a 100 MB stream.
func TestNDJSONTakeReadsLittle(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		r := &countingReader{r: logstream.New(100 << 20)}
		got, err := pager.Collect(pager.Take(pager.All(context.Background(), pager.NDJSON[logstream.Line](r)), 10))
		if err != nil || len(got) != 10 {
			t.Fatalf("got %d items, %v; want 10", len(got), err)
		}
		// One read: 128 KiB for each goroutine decoding.
		limit := int64(runtime.GOMAXPROCS(0)) * 128 << 10
		if n := r.n.Load(); n > limit {
			t.Errorf("read %d bytes, want at most %d", n, limit)
		}
	})
}

// recLines is a stream of left lines of recs, size bytes each, made as they
// are read.
type recLines struct {
	size, left, id int
	buf            []byte
}

func (r *recLines) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.left > 0 {
		start := len(r.buf)
		r.buf = fmt.Appendf(r.buf, `{"id":%d,"msg":"`, r.id)
		r.buf = append(r.buf, strings.Repeat("x", r.size-(len(r.buf)-start)-3)+"\"}\n"...)
		r.left, r.id = r.left-1, r.id+1
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// TestNDJSONReadAheadBound checks, at each item, how many bytes the walk
// has read past the end of the item's line: at most its longest line and
// 1 MiB, at GOMAXPROCS 8, with lines of 2 MiB as with short ones.
func TestNDJSONReadAheadBound(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	const bound = 1 << 20
	tests := []struct {
		label  string
		size   int // bytes of each line, "\n" included
		lines  int
		reason string
	}{
		{label: "2 MiB lines", size: 2<<20 + 12345, lines: 12, reason: "one line and 1 MiB at most"},
		{label: "short lines", size: 100, lines: 200000, reason: "1 MiB at most"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			r := &countingReader{r: &recLines{size: tt.size, left: tt.lines}}
			var most int64
			n := 0
			heap := heapPeak(func() {
				for v, err := range pager.All(context.Background(), pager.NDJSON[rec](r)) {
					if err != nil || v.ID != n {
						t.Fatalf("got id %d, %v; want %d", v.ID, err, n)
					}
					n++
					most = max(most, r.n.Load()-int64(n*tt.size))
				}
			})
			if n != tt.lines {
				t.Errorf("got %d items, want %d", n, tt.lines)
			}
			t.Logf("read at most %d bytes past the line yielded; peak heap %.1f MiB", most, float64(heap)/(1<<20))
			if most > int64(tt.size)+bound {
				t.Errorf("read %d bytes past the line yielded, want at most %d: %s", most, tt.size+bound, tt.reason)
			}
		})
	}
}

// TestNDJSONBreakEverywhere breaks out of the loop at every item of a
// stream of several pages, and checks that every goroutine is gone then.
func TestNDJSONBreakEverywhere(t *testing.T) {
	const n = 12000 // about 4 pages
	input := genLines(n)
	forProcs(t, func(t *testing.T) {
		for stop := 0; stop < n; stop += 997 {
			i := 0
			for v, err := range pager.All(context.Background(), pager.NDJSON[rec](strings.NewReader(input))) {
				if err != nil {
					t.Fatal(err)
				}
				if v.ID != i {
					t.Fatalf("got id %d, want %d", v.ID, i)
				}
				if i == stop {
					break
				}
				i++
			}
			if i != stop {
				t.Fatalf("stopped at %d, want %d", i, stop)
			}
			goleak.VerifyNone(t)
		}
	})
}

// blockingReader returns its data, then blocks until released, and then
// returns io.EOF. It fails the test if closed.
type blockingReader struct {
	t           *testing.T
	data        []byte
	blocked     chan struct{} // closed when a Read blocks
	release     chan struct{}
	once, block sync.Once
}

func newBlockingReader(t *testing.T, data string) *blockingReader {
	return &blockingReader{t: t, data: []byte(data), blocked: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	b.block.Do(func() { close(b.blocked) })
	<-b.release
	return 0, io.EOF
}

func (b *blockingReader) unblock() { b.once.Do(func() { close(b.release) }) }

func (b *blockingReader) Close() error {
	b.t.Error("the walk closed its reader, want it left to whoever opened it")
	return nil
}

// TestNDJSONCancel cancels the context while a Read is blocked: the walk
// ends with ctx.Err() once that Read returns, and never closes the reader.
func TestNDJSONCancel(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		br := newBlockingReader(t, `{"id":1}`+"\n"+`{"id":2}`+"\n")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-br.blocked // on the third line
			cancel()
			br.unblock()
		}()
		got, err := pager.Collect(pager.All(ctx, pager.NDJSON[rec](br)))
		if len(got) != 2 || err != context.Canceled {
			t.Errorf("got %d items, %v; want 2, context.Canceled", len(got), err)
		}
	})
}

func TestNDJSONCanceledBeforehand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := pager.Collect(pager.All(ctx, pager.NDJSON[rec](strings.NewReader(genLines(10)))))
	if len(got) != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("got %d items, %v; want none and context.Canceled", len(got), err)
	}
}

// TestNDJSONBreakStalledGzip breaks out of a walk of a gzip stream whose
// writer has stalled. The walk reads only when the loop asks for the next
// line, so the break returns at once, with no Read in flight for a Close to
// race with (a gzip.Reader's Close does not stop a Read).
func TestNDJSONBreakStalledGzip(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() {
			zw := gzip.NewWriter(pw)
			fmt.Fprint(zw, genLines(3))
			zw.Flush() // and stall, with the stream open
		}()
		zr, err := gzip.NewReader(pr)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range pager.All(context.Background(), pager.NDJSON[rec](zr)) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
		if n != 3 {
			t.Errorf("got %d items, want 3", n)
		}
		if err := zr.Close(); err != nil { // the caller's to close
			t.Error(err)
		}
		goleak.VerifyNone(t)
	})
}

func TestNDJSONDecoderPanic(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		calls := atomic.Int64{}
		decode := func(data []byte, v any) error {
			if calls.Add(1) == 5000 {
				panic("decoder bug")
			}
			return json.Unmarshal(data, v)
		}
		defer func() {
			if r := recover(); r != "decoder bug" {
				t.Errorf("got panic %v, want the decoder's", r)
			}
			goleak.VerifyNone(t)
		}()
		for _, err := range pager.All(context.Background(), pager.NDJSON[rec](strings.NewReader(genLines(20000)), pager.DecodeWith(decode))) {
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Error("the walk ended without the decoder's panic")
	})
}

// guardedReader reads r, and fails the test if read after the loop ended.
type guardedReader struct {
	t     *testing.T
	r     io.Reader
	ended atomic.Bool
}

func (g *guardedReader) Read(p []byte) (int, error) {
	if g.ended.Load() {
		g.t.Error("the reader was read after the loop ended")
	}
	return g.r.Read(p)
}

// TestNDJSONWaysOut leaves the loop every way there is, over Pages and over
// All: when the range statement returns, no goroutine of the walk is left
// and nothing reads the reader.
func TestNDJSONWaysOut(t *testing.T) {
	const stopAt = 3000
	input := genLines(stopAt) + "{bad\n" + genLines(20000)
	ways := []struct {
		label  string
		loop   func(ctx context.Context, src pager.Source[rec])
		reason string
	}{
		{label: "Pages/break", loop: func(ctx context.Context, src pager.Source[rec]) {
			for p := range src.Pages(ctx) {
				if p.Offset+len(p.Items) > stopAt/2 {
					break
				}
			}
		}},
		{label: "Pages/error", loop: func(ctx context.Context, src pager.Source[rec]) {
			for _, err := range src.Pages(ctx) {
				if err != nil {
					return
				}
			}
		}},
		{label: "Pages/panic", loop: func(ctx context.Context, src pager.Source[rec]) {
			for p := range src.Pages(ctx) {
				if p.Offset+len(p.Items) > stopAt/2 {
					panic("loop body")
				}
			}
		}},
		{label: "All/break", loop: func(ctx context.Context, src pager.Source[rec]) {
			for v := range pager.All(ctx, src) {
				if v.ID == stopAt/2 {
					break
				}
			}
		}},
		{label: "All/Take", loop: func(ctx context.Context, src pager.Source[rec]) {
			for range pager.Take(pager.All(ctx, src), stopAt/2) {
			}
		}},
		{label: "All/error", loop: func(ctx context.Context, src pager.Source[rec]) {
			for _, err := range pager.All(ctx, src) {
				if err != nil {
					return
				}
			}
		}},
		{label: "All/panic", loop: func(ctx context.Context, src pager.Source[rec]) {
			for v := range pager.All(ctx, src) {
				if v.ID == stopAt/2 {
					panic("loop body")
				}
			}
		}},
	}
	forProcs(t, func(t *testing.T) {
		for _, way := range ways {
			t.Run(way.label, func(t *testing.T) {
				r := &guardedReader{t: t, r: strings.NewReader(input)}
				func() {
					defer func() {
						if v := recover(); v != nil && v != "loop body" {
							panic(v)
						}
					}()
					way.loop(context.Background(), pager.NDJSON[rec](r))
				}()
				r.ended.Store(true)
				goleak.VerifyNone(t)
			})
		}
	})
}

func TestNDJSONDecodeWith(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	decode := func(data []byte, v any) error {
		mu.Lock()
		lines = append(lines, string(data))
		mu.Unlock()
		*v.(*rec) = rec{ID: len(data)}
		return nil
	}
	got, err := readAll[rec]("\xEF\xBB\xBFab\r\n\n  \ncde\n", pager.DecodeWith(decode))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rec{{ID: 2}, {ID: 3}}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ab", "cde"}, lines); diff != "" {
		t.Errorf("lines given to the decoder (-want +got):\n%s", diff)
	}
}

// seqOf returns a sequence of items, then err if not nil.
func seqOf[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range items {
			if !yield(v, nil) {
				return
			}
		}
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct {
	bytes.Buffer
	n int
}

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) <= w.n {
		return w.Buffer.Write(p)
	}
	n, _ := w.Buffer.Write(p[:w.n-w.Len()])
	return n, errDiskFull
}

func TestWriteNDJSON(t *testing.T) {
	stop := errors.New("page failed")
	lines := func(n int) string { return genLines(n) }
	recs := func(n int) []rec {
		var rs []rec
		for i := range n {
			rs = append(rs, rec{ID: i, Msg: fmt.Sprintf("line %d of the stream", i)})
		}
		return rs
	}
	tests := []struct {
		label   string
		seq     iter.Seq2[rec, error]
		opts    []pager.Option
		w       *failingWriter
		want    string
		wantN   int
		wantErr error  // errors.Is
		wantMsg string // a part of the message
		reason  string
	}{
		{label: "empty", seq: seqOf[rec](nil, nil), reason: "nothing to write"},
		{label: "items", seq: seqOf(recs(3), nil), want: lines(3), wantN: 3, reason: "one value per line"},
		{
			label: "many items", seq: seqOf(recs(5000), nil), want: lines(5000), wantN: 5000,
			reason: "more than one buffer",
		},
		{
			label: "sequence error", seq: seqOf(recs(2), stop), want: lines(2), wantN: 2, wantErr: stop,
			reason: "the items before the error are written, and the error returned",
		},
		{
			label: "EncodeWith", seq: seqOf(recs(2), nil), opts: []pager.Option{pager.EncodeWith(func(v any) ([]byte, error) {
				return []byte(fmt.Sprintf(`{"id":%d}`, v.(rec).ID)), nil
			})},
			want: "{\"id\":0}\n{\"id\":1}\n", wantN: 2, reason: "the encoder's output, and a newline",
		},
		{
			label: "EncodeWith, two lines", seq: seqOf(recs(2), nil), opts: []pager.Option{pager.EncodeWith(func(v any) ([]byte, error) {
				return json.MarshalIndent(v, "", " ")
			})},
			wantMsg: "pager: encoding item 0: pager: the encoded value spans lines", reason: "a value must stay on its line",
		},
		{
			label: "EncodeWith, blank", seq: seqOf(recs(2), nil), opts: []pager.Option{pager.EncodeWith(func(v any) ([]byte, error) {
				return []byte(" "), nil
			})},
			wantMsg: "blank", reason: "a blank line would be skipped by readers",
		},
		{
			label: "write fails", seq: seqOf(recs(5000), nil), w: &failingWriter{n: 100000},
			want: lines(5000)[:100000], wantN: strings.Count(lines(5000)[:100000], "\n"), wantErr: errDiskFull,
			reason: "the count is of the items written in full",
		},
		{
			label: "write fails, then sequence error", seq: seqOf(recs(10), stop), w: &failingWriter{n: 10},
			want: lines(1)[:10], wantN: 0, wantErr: stop,
			reason: "both errors are returned",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			w := tt.w
			if w == nil {
				w = &failingWriter{n: 1 << 30}
			}
			n, err := pager.WriteNDJSON(w, tt.seq, tt.opts...)
			if n != tt.wantN {
				t.Errorf("got count %d, want %d: %s", n, tt.wantN, tt.reason)
			}
			if tt.wantMsg == "" {
				if got := w.String(); got != tt.want {
					t.Errorf("got output %.80q…, want %.80q…: %s", got, tt.want, tt.reason)
				}
			}
			switch {
			case tt.wantErr == nil && tt.wantMsg == "":
				if err != nil {
					t.Errorf("got error %v, want none", err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("got error %v, want %v: %s", err, tt.wantErr, tt.reason)
			case !strings.Contains(fmt.Sprint(err), tt.wantMsg):
				t.Errorf("got error %v, want one containing %q: %s", err, tt.wantMsg, tt.reason)
			}
		})
	}
}

func TestWriteNDJSONEncodeError(t *testing.T) {
	items := []any{1, "two", func() {}, 4}
	var buf bytes.Buffer
	n, err := pager.WriteNDJSON(&buf, seqOf(items, nil))
	var ute *json.UnsupportedTypeError
	if n != 2 || !errors.As(err, &ute) || !strings.HasPrefix(err.Error(), "pager: encoding item 2: ") {
		t.Errorf("got %d, %v; want 2 and an error about item 2 wrapping the json error", n, err)
	}
	if got, want := buf.String(), "1\n\"two\"\n"; got != want {
		t.Errorf("got output %q, want %q", got, want)
	}
}

// TestWriteNDJSONTake is the early-terminating export.
func TestWriteNDJSONTake(t *testing.T) {
	r := &countingReader{r: logstream.New(100 << 20)}
	var buf bytes.Buffer
	n, err := pager.WriteNDJSON(&buf, pager.Take(pager.All(context.Background(), pager.NDJSON[logstream.Line](r)), 1000))
	if n != 1000 || err != nil {
		t.Fatalf("got %d, %v; want 1000, nil", n, err)
	}
	if got := strings.Count(buf.String(), "\n"); got != 1000 {
		t.Errorf("got %d lines, want 1000", got)
	}
	if r.n.Load() > 1<<20 {
		t.Errorf("read %d bytes of the stream to export 1000 lines", r.n.Load())
	}
}

// TestNDJSONRoundTrip writes random items and reads them back.
func TestNDJSONRoundTrip(t *testing.T) {
	type item struct {
		ID    int               `json:"id"`
		Name  string            `json:"name"`
		Score float64           `json:"score"`
		Tags  []string          `json:"tags"`
		Attrs map[string]string `json:"attrs"`
		Next  *item             `json:"next,omitempty"`
		Raw   json.RawMessage   `json:"raw,omitempty"`
	}
	rng := rand.New(rand.NewPCG(7, 7))
	str := func() string {
		runes := []rune("ab\n\r\t\"\\/<>&\u2028\u2029é😀\x00\x7f ")
		s := make([]rune, rng.IntN(12))
		for i := range s {
			s[i] = runes[rng.IntN(len(runes))]
		}
		return string(s)
	}
	var gen func(depth int) item
	gen = func(depth int) item {
		it := item{ID: rng.Int(), Name: str(), Score: rng.NormFloat64() * 1e6}
		for range rng.IntN(3) {
			it.Tags = append(it.Tags, str())
		}
		if rng.IntN(2) == 0 {
			it.Attrs = map[string]string{str(): str(), str(): str()}
		}
		if depth < 2 && rng.IntN(3) == 0 {
			next := gen(depth + 1)
			it.Next = &next
		}
		if rng.IntN(4) == 0 {
			it.Raw = json.RawMessage(`[1,{"a":"b"}]`)
		}
		return it
	}
	forProcs(t, func(t *testing.T) {
		for round := range 10 {
			items := make([]item, rng.IntN(1000))
			for i := range items {
				items[i] = gen(0)
			}
			var buf bytes.Buffer
			if n, err := pager.WriteNDJSON(&buf, seqOf(items, nil)); n != len(items) || err != nil {
				t.Fatalf("round %d: wrote %d of %d items: %v", round, n, len(items), err)
			}
			got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[item](&buf)))
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if diff := cmp.Diff(items, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round %d: items read back (-wrote +read):\n%s", round, diff)
			}
		}
	})
}

// TestNDJSONHTTP reads a stream from a real HTTP server that sends a line
// at a time, and breaks out of the loop in the middle: the walk leaves the
// body to the caller, whose Close ends the connection, and the server sees
// it.
func TestNDJSONHTTP(t *testing.T) {
	const lines, breakAt = 1000, 20
	gone := make(chan int, 1) // lines the handler wrote before the client left
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/x-ndjson" {
			http.Error(w, "want Accept: application/x-ndjson", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := range lines {
			if _, err := fmt.Fprintf(w, `{"id":%d}`+"\n", i); err != nil {
				gone <- i
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				gone <- i
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
		gone <- lines
	}))
	defer srv.Close()

	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := 0
	for v, err := range pager.All(req.Context(), pager.NDJSON[rec](resp.Body)) {
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != got {
			t.Fatalf("got id %d, want %d", v.ID, got)
		}
		if got++; got == breakAt {
			break
		}
	}
	resp.Body.Close()
	select {
	case n := <-gone:
		if n >= lines {
			t.Errorf("the server wrote all %d lines, want it cut off after the break", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not see the client go within 5s of the break")
	}
}

// TestNDJSONHTTPCutOff reads a stream that the server cuts off in the
// middle of a line.
func TestNDJSONHTTPCutOff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprint(w, `{"id":0}`+"\n"+`{"id":1}`+"\n"+`{"id":`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[rec](resp.Body)))
	if len(got) != 2 {
		t.Errorf("got %d items, want the 2 before the cut", len(got))
	}
	checkLineErr(t, err, &lineErr{Line: 3, Offset: 18, Is: io.ErrUnexpectedEOF})
}

// TestNDJSONHTTPCancel cancels the request's context while the body is
// blocked waiting for the server.
func TestNDJSONHTTPCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":0}`+"\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got int
	var gotErr error
	for _, err := range pager.All(ctx, pager.NDJSON[rec](resp.Body)) {
		if err != nil {
			gotErr = err
			break
		}
		got++
		time.AfterFunc(20*time.Millisecond, cancel)
	}
	if got != 1 || !errors.Is(gotErr, context.Canceled) {
		t.Errorf("got %d items, %v; want 1, context.Canceled", got, gotErr)
	}
}

// TestNDJSONMemoryFlat reads 16 MB and 128 MB streams: the peak heap must
// not grow with the stream. BenchmarkNDJSONMemory goes to 1 GB.
func TestNDJSONMemoryFlat(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("reads 144 MB")
	}
	peak := func(size int64) uint64 {
		return heapPeak(func() {
			for _, err := range pager.All(context.Background(), pager.NDJSON[logstream.Line](logstream.New(size))) {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	small, large := peak(16<<20), peak(128<<20)
	t.Logf("peak heap: %.1f MB for 16 MB, %.1f MB for 128 MB", float64(small)/(1<<20), float64(large)/(1<<20))
	if large > 2*small+8<<20 {
		t.Errorf("peak heap grew from %d to %d bytes with the stream, want it flat", small, large)
	}
}

// FuzzNDJSON checks, on arbitrary bytes, that reading never panics or
// hangs, that every line json.Valid accepts is yielded in order, and that
// every other line is reported, with its number and offset.
func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		"", "\n", `{"a":1}`, "{\"a\":1}\r\n[2]\n\n 3 \n\"x\"", "\xEF\xBB\xBFnull\n", "{\"a\":\n1}",
		"1 2\n", "\xEF\xBB\xBF", "\r\r\n", `{"a":"` + strings.Repeat("x", 100) + `"}`, "\xff\n{}",
	} {
		f.Add([]byte(s))
	}
	const maxLine = 64
	f.Fuzz(func(t *testing.T, data []byte) {
		type report struct {
			Line   int
			Offset int64
		}
		// What line-by-line json.Unmarshal makes of data.
		var want []json.RawMessage
		var wantBad []report
		off := int64(0)
		for i, line := range bytes.SplitAfter(data, []byte("\n")) {
			start := off
			off += int64(len(line))
			if i == 0 && bytes.HasPrefix(line, []byte("\xEF\xBB\xBF")) {
				line, start = line[3:], start+3
			}
			line = bytes.TrimSuffix(line, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) > maxLine {
				// Too long, even if blank: the limit bounds what is read.
				wantBad = append(wantBad, report{i + 1, start})
				continue
			}
			if len(bytes.Trim(line, " \t\r\n")) == 0 {
				continue
			}
			var v json.RawMessage
			err := json.Unmarshal(line, &v)
			if (err == nil) != json.Valid(line) {
				t.Fatalf("json.Unmarshal and json.Valid disagree on %q", line)
			}
			if err != nil {
				wantBad = append(wantBad, report{i + 1, start})
				continue
			}
			want = append(want, v)
		}
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
		} {
			var bad []report
			src := pager.NDJSON[json.RawMessage](wrap(bytes.NewReader(data)), pager.MaxLineSize(maxLine),
				pager.SkipBadLines(func(e *pager.LineError) error {
					bad = append(bad, report{e.Line, e.ByteOffset})
					return nil
				}))
			got, err := pager.Collect(pager.All(context.Background(), src))
			if err != nil {
				t.Fatalf("got error %v, want every bad line skipped", err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantBad, bad, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("bad lines (-want +got):\n%s", diff)
			}
		}
	})
}

// TestNDJSONDecoderGoexit checks that a decoder's runtime.Goexit (as
// t.FailNow does) ends the goroutine ranging over the walk, wherever the
// decoder ran.
func TestNDJSONDecoderGoexit(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		var calls atomic.Int64
		decode := func(data []byte, v any) error {
			if calls.Add(1) == 5000 {
				runtime.Goexit()
			}
			return json.Unmarshal(data, v)
		}
		returned := make(chan bool)
		go func() {
			normal := false
			defer func() { returned <- normal }()
			for range pager.All(context.Background(), pager.NDJSON[rec](strings.NewReader(genLines(20000)), pager.DecodeWith(decode))) {
			}
			normal = true
		}()
		if <-returned {
			t.Error("the loop ended normally, want the decoder's Goexit to end its goroutine")
		}
		goleak.VerifyNone(t)
	})
}
