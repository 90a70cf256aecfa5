package pager_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pagerseq/pager"
)

// LogLine is a line of the example log stream.
type LogLine struct {
	TS    time.Time `json:"ts"`
	Level string    `json:"level"`
	Msg   string    `json:"msg"`
}

// logs is the example NDJSON stream, as GET /phases/{phase}/logs sends it
// with Accept: application/x-ndjson.
const logs = `{"ts":"2026-05-01T12:00:00Z","level":"INFO","msg":"extract started"}
{"ts":"2026-05-01T12:00:02Z","level":"ERROR","msg":"upstream returned 503"}

{"ts":"2026-05-01T12:00:05Z","level":"INFO","msg":"extract done"}
`

func ExampleNDJSON() {
	ctx := context.Background()
	for line, err := range pager.All(ctx, pager.NDJSON[LogLine](strings.NewReader(logs))) {
		if err != nil {
			fmt.Println(err) // a *LineError says which line
			return
		}
		fmt.Println(line.TS.Format(time.TimeOnly), line.Level, line.Msg)
	}
	// Output:
	// 12:00:00 INFO extract started
	// 12:00:02 ERROR upstream returned 503
	// 12:00:05 INFO extract done
}

func ExampleNDJSON_badLine() {
	stream := `{"level":"INFO","msg":"one"}
{"level":"INFO","msg":"two"
{"level":"INFO","msg":"three"}
`
	items, err := pager.Collect(pager.All(context.Background(), pager.NDJSON[LogLine](strings.NewReader(stream))))
	fmt.Println(len(items), "item(s) before the error")
	var le *pager.LineError
	if errors.As(err, &le) {
		fmt.Println("line", le.Line, "at byte", le.ByteOffset)
	}
	fmt.Println(err)
	// Output:
	// 1 item(s) before the error
	// line 2 at byte 29
	// pager: line 2 (byte 29): unexpected end of JSON input; the line starts "{\"level\":\"INFO\",\"msg\":\"two\""
}

func ExampleSkipBadLines() {
	stream := `{"level":"INFO","msg":"one"}
not json
{"level":"INFO","msg":"three"}
`
	skipped := 0
	report := func(e *pager.LineError) error {
		fmt.Println("skipping line", e.Line)
		if skipped++; skipped > 100 {
			return e // too many: stop with this one
		}
		return nil
	}
	src := pager.NDJSON[LogLine](strings.NewReader(stream), pager.SkipBadLines(report))
	for line, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(line.Msg)
	}
	// Output:
	// one
	// skipping line 2
	// three
}

func ExampleWriteNDJSON() {
	// Export at most two ERROR lines of a stream.
	src := pager.NDJSON[LogLine](strings.NewReader(logs))
	isError := func(l LogLine) bool { return l.Level == "ERROR" }
	seq := pager.Take(pager.Filter(pager.All(context.Background(), src), isError), 2)
	n, err := pager.WriteNDJSON(os.Stdout, seq)
	fmt.Println(n, err)
	// Output:
	// {"ts":"2026-05-01T12:00:02Z","level":"ERROR","msg":"upstream returned 503"}
	// 1 <nil>
}
