package jsonbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"runtime"
	"sync"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
	"github.com/pagerseq/pager/internal/logstream"
)

// data is the same 64 MB of log lines as pager's BenchmarkNDJSON.
var data = sync.OnceValue(func() []byte {
	b, err := io.ReadAll(logstream.New(64 << 20))
	if err != nil {
		panic(err)
	}
	return b
})

// TestSameItems checks that go-json decodes the stream as encoding/json does.
func TestSameItems(t *testing.T) {
	r := logstream.New(4 << 20)
	var buf bytes.Buffer
	want, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[logstream.Line](io.TeeReader(r, &buf))))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[logstream.Line](&buf, pager.DecodeWith(gojson.Unmarshal))))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if !w.TS.Equal(g.TS) || w.Msg != g.Msg || w.Duration != g.Duration || len(w.Attrs) != len(g.Attrs) {
			t.Fatalf("item %d: got %+v, want %+v", i, g, w)
		}
	}
}

// BenchmarkNDJSON decodes the same 64 MB as pager's BenchmarkNDJSON, as
// lines of 284 bytes on average and as lines of about 94 KB.
func BenchmarkNDJSON(b *testing.B) {
	b.Run("line=short", func(b *testing.B) { benchNDJSON[logstream.Line](b, data()) })
	b.Run("line=94KB", func(b *testing.B) { benchNDJSON[[]logstream.Line](b, logstream.LongLines(data(), 330)) })
}

func benchNDJSON[T any](b *testing.B, data []byte) {
	lines := bytes.Count(data, []byte("\n"))
	run := func(b *testing.B, decode func(r io.Reader) int) {
		b.SetBytes(int64(len(data)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu := cputime.Used()
		b.ResetTimer()
		for range b.N {
			if n := decode(bytes.NewReader(data)); n != lines {
				b.Fatalf("decoded %d lines, want %d", n, lines)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*lines), "allocs/line")
	}
	scanner := func(unmarshal func([]byte, any) error) func(io.Reader) int {
		return func(r io.Reader) int {
			n := 0
			sc := bufio.NewScanner(r)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var v T
				if err := unmarshal(sc.Bytes(), &v); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := sc.Err(); err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	ndjson := func(opts ...pager.Option) func(io.Reader) int {
		return func(r io.Reader) int {
			n := 0
			for _, err := range pager.All(context.Background(), pager.NDJSON[T](r, opts...)) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			return n
		}
	}
	b.Run("loop=json.Decoder", func(b *testing.B) {
		run(b, func(r io.Reader) int {
			n := 0
			dec := json.NewDecoder(r)
			for {
				var v T
				if err := dec.Decode(&v); err == io.EOF {
					return n
				} else if err != nil {
					b.Fatal(err)
				}
				n++
			}
		})
	})
	b.Run("loop=bufio.Scanner", func(b *testing.B) { run(b, scanner(json.Unmarshal)) })
	b.Run("loop=bufio.Scanner+go-json", func(b *testing.B) { run(b, scanner(gojson.Unmarshal)) })
	b.Run("loop=pager.NDJSON", func(b *testing.B) { run(b, ndjson()) })
	b.Run("loop=pager.NDJSON+go-json", func(b *testing.B) { run(b, ndjson(pager.DecodeWith(gojson.Unmarshal))) })
}
