package pager_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"go.uber.org/goleak"
)

// raceEnabled is set in race_test.go.
var raceEnabled bool

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
	if le.Line != want.Line || le.Offset != want.Offset {
		t.Errorf("got line %d at byte %d, want line %d at byte %d (%v)", le.Line, le.Offset, want.Line, want.Offset, err)
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
		forProcs(t, func(t *testing.T) {
			t.Run(name, func(t *testing.T) {
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
		r := &countingReader{r: newLogStream(100 << 20)}
		got, err := pager.Collect(pager.Take(pager.All(context.Background(), pager.NDJSON[logLine](r)), 10))
		if err != nil || len(got) != 10 {
			t.Fatalf("got %d items, %v; want 10", len(got), err)
		}
		// The source reads ahead 2*GOMAXPROCS reads of 64 KiB, and one more.
		limit := int64(2*runtime.GOMAXPROCS(0)+2) * 64 << 10
		if n := r.n.Load(); n > limit {
			t.Errorf("read %d bytes, want at most %d", n, limit)
		}
	})
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

// blockingReader returns its data, then blocks until closed or released.
type blockingReader struct {
	data    []byte
	release chan struct{}
	closed  atomic.Bool
	once    sync.Once
}

func newBlockingReader(data string) *blockingReader {
	return &blockingReader{data: []byte(data), release: make(chan struct{})}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	<-b.release
	if b.closed.Load() {
		return 0, errors.New("read on closed reader")
	}
	return 0, io.EOF
}

func (b *blockingReader) unblock() { b.once.Do(func() { close(b.release) }) }

// closingReader is a blockingReader with a Close method that unblocks it.
type closingReader struct{ *blockingReader }

func (c closingReader) Close() error {
	c.closed.Store(true)
	c.unblock()
	return nil
}

func TestNDJSONCancel(t *testing.T) {
	input := `{"id":1}` + "\n" + `{"id":2}` + "\n"
	tests := []struct {
		label  string
		closer bool
		reason string
	}{
		{label: "io.Closer", closer: true, reason: "the blocked read is stopped by closing the reader"},
		{label: "plain reader", reason: "the blocked read is abandoned"},
	}
	forProcs(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.label, func(t *testing.T) {
				br := newBlockingReader(input)
				defer br.unblock()
				var r io.Reader = br
				if tt.closer {
					r = closingReader{br}
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var got []rec
				var gotErr error
				for v, err := range pager.All(ctx, pager.NDJSON[rec](r)) {
					if err != nil {
						gotErr = err
						break
					}
					got = append(got, v)
					if len(got) == 2 {
						// The reader is now blocked on the third line.
						time.AfterFunc(10*time.Millisecond, cancel)
					}
				}
				if gotErr != context.Canceled {
					t.Errorf("got error %v, want context.Canceled: %s", gotErr, tt.reason)
				}
				if len(got) != 2 {
					t.Errorf("got %d items, want 2", len(got))
				}
				if br.closed.Load() != tt.closer {
					t.Errorf("got closed = %t, want %t", br.closed.Load(), tt.closer)
				}
			})
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

func TestNDJSONBreakClosesBlockedRead(t *testing.T) {
	br := newBlockingReader(`{"id":1}` + "\n")
	defer br.unblock()
	for range pager.All(context.Background(), pager.NDJSON[rec](closingReader{br})) {
		time.Sleep(10 * time.Millisecond) // let the reader block on the next read
		break
	}
	if !br.closed.Load() {
		t.Error("the reader was not closed, want it closed to stop the read in flight")
	}
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

func TestNDJSONLoopBodyPanic(t *testing.T) {
	forProcs(t, func(t *testing.T) {
		defer func() {
			if r := recover(); r != "loop body" {
				t.Errorf("got panic %v, want the loop body's", r)
			}
			goleak.VerifyNone(t)
		}()
		for v := range pager.All(context.Background(), pager.NDJSON[rec](strings.NewReader(genLines(20000)))) {
			if v.ID == 3000 {
				panic("loop body")
			}
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
