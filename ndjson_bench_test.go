package pager_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/cputime"
	"github.com/pagerseq/pager/internal/logstream"
)

// benchSize is the size of the benchmarks' stream.
const benchSize = 64 << 20

// benchData is benchSize bytes of log lines.
var benchData = sync.OnceValue(func() []byte {
	data, err := io.ReadAll(logstream.New(benchSize))
	if err != nil {
		panic(err)
	}
	return data
})

// benchLong is benchData as lines of about 94 KB.
var benchLong = sync.OnceValue(func() []byte { return logstream.LongLines(benchData(), 330) })

// BenchmarkNDJSON decodes the same 64 MB of log lines with the hand-written
// loops that NDJSON replaces and with NDJSON, reporting MB/s, CPU time and
// allocations per line: as lines of 284 bytes on average (line=short) and
// as JSON arrays of 330 of them, one a line (line=94KB).
func BenchmarkNDJSON(b *testing.B) {
	b.Run("line=short", func(b *testing.B) { benchNDJSON[logstream.Line](b, benchData()) })
	b.Run("line=94KB", func(b *testing.B) { benchNDJSON[[]logstream.Line](b, benchLong()) })
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
	b.Run("loop=bufio.Scanner", func(b *testing.B) {
		run(b, func(r io.Reader) int {
			n := 0
			sc := bufio.NewScanner(r)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var v T
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := sc.Err(); err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
	b.Run("loop=pager.NDJSON", func(b *testing.B) {
		run(b, func(r io.Reader) int {
			n := 0
			for _, err := range pager.All(context.Background(), pager.NDJSON[T](r)) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			return n
		})
	})
}

// BenchmarkNDJSONMemory reads streams from 10 MB to 1 GB, made as they are
// read, and reports the peak heap: it should not grow with the stream. The
// json.Decoder loop is there for scale: most of the heap is garbage that
// the collector has not yet reclaimed, in proportion to the allocation rate.
func BenchmarkNDJSONMemory(b *testing.B) {
	loops := []struct {
		name string
		read func(r io.Reader) error
	}{
		{"pager.NDJSON", func(r io.Reader) error {
			for _, err := range pager.All(context.Background(), pager.NDJSON[logstream.Line](r)) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"json.Decoder", func(r io.Reader) error {
			dec := json.NewDecoder(r)
			for {
				var v logstream.Line
				if err := dec.Decode(&v); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
			}
		}},
	}
	for _, loop := range loops {
		for _, size := range []int64{10 << 20, 100 << 20, 1 << 30} {
			b.Run(fmt.Sprintf("loop=%s/size=%dMB", loop.name, size>>20), func(b *testing.B) {
				b.SetBytes(size)
				peak := heapPeak(func() {
					for range b.N {
						if err := loop.read(logstream.New(size)); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// heapPeak runs f and returns the largest heap seen meanwhile, sampled
// every millisecond.
func heapPeak(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return peak
}
