package main

import (
	"encoding/json"
	"io"
	"testing"
)

// BenchmarkJQ runs -jq .id on a record as the simulator writes it: what
// -jq adds per item to an export.
func BenchmarkJQ(b *testing.B) {
	item := json.RawMessage(`{"id":123456,"name":"record-123456","status":"failed","created_at":"2026-03-27T17:35:00Z"}`)
	j, err := newJQ(".id", false)
	if err != nil {
		b.Fatal(err)
	}
	out := &lineWriter{w: io.Discard}
	b.ReportAllocs()
	for range b.N {
		if err := j.run(out, item, 0); err != nil {
			b.Fatal(err)
		}
	}
}
