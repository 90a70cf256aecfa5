// Package logstream makes realistic NDJSON log streams of any size, as the
// logs API streams them, for the NDJSON tests and benchmarks.
package logstream

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Line is a line of the logs API's NDJSON stream
// (GET /phases/{phase}/logs with Accept: application/x-ndjson).
type Line struct {
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

// A Stream is an io.Reader of realistic log lines, size bytes and the rest
// of the last line, made as they are read: streams of any size cost no
// memory. The same size gives the same bytes.
type Stream struct {
	left int64 // bytes still to make
	rng  *rand.Rand
	i    int
	buf  []byte // made but not yet read
}

// New returns a Stream of size bytes and the rest of the last line.
func New(size int64) *Stream {
	return &Stream{left: size, rng: rand.New(rand.NewPCG(4, 2))}
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

func (s *Stream) Read(p []byte) (int, error) {
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

func (s *Stream) appendLine(b []byte) []byte {
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

// LongLines joins the lines of data, a stream's output, into JSON arrays of
// n of them, one array a line: lines of about n×284 bytes, for benchmarks
// of long lines.
func LongLines(data []byte, n int) []byte {
	var out []byte
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	for i, line := range lines {
		if i%n == 0 {
			out = append(out, '[')
		} else {
			out = append(out, ',')
		}
		out = append(out, line...)
		if i%n == n-1 || i == len(lines)-1 {
			out = append(out, "]\n"...)
		}
	}
	return out
}
