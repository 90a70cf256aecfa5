package pager_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
)

// logLine is a line of the logs API's NDJSON stream
// (GET /phases/{phase}/logs with Accept: application/x-ndjson).
type logLine struct {
	TS       time.Time         `json:"ts"`
	Level    string            `json:"level"`
	DAG      string            `json:"dag_id"`
	Run      string            `json:"run_id"`
	Phase    string            `json:"phase"`
	Task     string            `json:"task"`
	Msg      string            `json:"msg"`
	Line     int               `json:"line"`
	Duration float64           `json:"duration_ms"`
	Attrs    map[string]string `json:"attrs,omitempty"`
}

// logStream is an io.Reader of realistic log lines, size bytes and the rest
// of the last line, made as they are read: streams of any size cost no
// memory. The same size gives the same bytes.
type logStream struct {
	left int64 // bytes still to make
	rng  *rand.Rand
	i    int
	buf  []byte // made but not yet read
}

func newLogStream(size int64) *logStream {
	return &logStream{left: size, rng: rand.New(rand.NewPCG(4, 2))}
}

var (
	levels = []string{"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"}
	tasks  = []string{"load_orders", "load_customers", "dedupe", "validate_schema", "write_parquet"}
	msgs   = []string{
		"upstream returned 503 Service Unavailable; retrying",
		"processed batch",
		"schema check passed for table \"orders\"",
		"slow query: SELECT * FROM orders WHERE updated_at > $1 took longer than expected",
		"connection reset by peer (host \"db-replica-2.internal\")",
		"wrote part-00017.parquet",
	}
	hosts = []string{"worker-1", "worker-2", "worker-3", "worker-4"}
)

func (s *logStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.left > 0 {
		n := len(s.buf)
		s.buf = s.appendLine(s.buf)
		s.left -= int64(len(s.buf) - n)
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

func (s *logStream) appendLine(b []byte) []byte {
	r, i := s.rng, s.i
	s.i++
	ts := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1234567 * time.Nanosecond)
	b = append(b, `{"ts":"`...)
	b = ts.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, levels[r.IntN(len(levels))]...)
	b = append(b, `","dag_id":"nightly-orders","run_id":"scheduled__2026-05-01T00:00:00+00:00","phase":"extract","task":"`...)
	b = append(b, tasks[r.IntN(len(tasks))]...)
	b = append(b, `","msg":"`...)
	m := msgs[r.IntN(len(msgs))]
	for _, c := range []byte(m) {
		if c == '"' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	b = append(b, `","line":`...)
	b = strconv.AppendInt(b, int64(r.IntN(5000)), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(r.IntN(1e6))/100, 'f', -1, 64)
	if r.IntN(3) > 0 {
		b = append(b, `,"attrs":{"host":"`...)
		b = append(b, hosts[r.IntN(len(hosts))]...)
		b = append(b, `","attempt":"`...)
		b = strconv.AppendInt(b, int64(1+r.IntN(3)), 10)
		b = append(b, `"}`...)
	}
	return append(b, "}\n"...)
}

// benchSize is the size of the benchmarks' stream.
const benchSize = 64 << 20

// benchData is benchSize bytes of log lines.
var benchData = sync.OnceValue(func() []byte {
	data, err := io.ReadAll(newLogStream(benchSize))
	if err != nil {
		panic(err)
	}
	return data
})

// BenchmarkNDJSON decodes the same 64 MB of log lines with the hand-written
// loops that NDJSON replaces and with NDJSON, reporting MB/s and
// allocations per line.
func BenchmarkNDJSON(b *testing.B) {
	data := benchData()
	lines := bytes.Count(data, []byte("\n"))
	run := func(b *testing.B, decode func(r io.Reader) int) {
		b.SetBytes(int64(len(data)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.ResetTimer()
		for range b.N {
			if n := decode(bytes.NewReader(data)); n != lines {
				b.Fatalf("decoded %d lines, want %d", n, lines)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*lines), "allocs/line")
	}
	b.Run("loop=json.Decoder", func(b *testing.B) {
		run(b, func(r io.Reader) int {
			n := 0
			dec := json.NewDecoder(r)
			for {
				var v logLine
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
			for sc.Scan() {
				var v logLine
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
			for _, err := range pager.All(context.Background(), pager.NDJSON[logLine](r)) {
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
// read, and reports the peak heap: it should not grow with the stream.
func BenchmarkNDJSONMemory(b *testing.B) {
	for _, size := range []int64{10 << 20, 100 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("size=%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			peak := heapPeak(func() {
				for range b.N {
					for _, err := range pager.All(context.Background(), pager.NDJSON[logLine](newLogStream(size))) {
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
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
