package pagerhttp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

type benchRec struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// benchBody is a page of 1000 small records with metadata around them.
var benchBody = func() []byte {
	var b strings.Builder
	b.WriteString(`{"runs": [`)
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id": %d, "name": "record-%06d", "status": "ok"}`, i, i)
	}
	b.WriteString(`], "count": 1000, "total": 1000000, "limit": 1000, "offset": 0, "has_more": true}`)
	return []byte(b.String())
}()

// BenchmarkDecodePage compares one page's decoding: by hand into a struct
// (the floor), through a map of raw fields (the two-pass way), and with
// decodeObject.
func BenchmarkDecodePage(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.Run("impl=hand", func(b *testing.B) {
		for range b.N {
			var page struct {
				Runs    []benchRec `json:"runs"`
				Total   int        `json:"total"`
				HasMore bool       `json:"has_more"`
			}
			if err := json.Unmarshal(benchBody, &page); err != nil || len(page.Runs) != 1000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=map", func(b *testing.B) {
		for range b.N {
			var obj map[string]json.RawMessage
			var runs []benchRec
			var total int
			var more bool
			if err := json.Unmarshal(benchBody, &obj); err != nil {
				b.Fatal(err)
			}
			if json.Unmarshal(obj["runs"], &runs) != nil || json.Unmarshal(obj["total"], &total) != nil || json.Unmarshal(obj["has_more"], &more) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("impl=scan", func(b *testing.B) {
		for range b.N {
			var runs []benchRec
			var total, more json.RawMessage
			if _, err := decodeObject(benchBody, "runs", &runs, map[string]*json.RawMessage{"total": &total, "has_more": &more}); err != nil || len(runs) != 1000 {
				b.Fatal(err)
			}
		}
	})
}
