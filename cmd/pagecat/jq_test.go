package main

import (
	"encoding/json"
	"io"
	"strings"
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

// TestJQNumbers checks that -jq keeps an integer beyond 2⁵³ as written, as
// ids often are, keeps any number passed through as written, and does
// arithmetic on numbers.
func TestJQNumbers(t *testing.T) {
	for _, tt := range []struct{ expr, item, want string }{
		{".id", `{"id": 12345678901234567890}`, "12345678901234567890\n"},
		{".id", `{"id": 9007199254740993}`, "9007199254740993\n"},
		{".n + 1", `{"n": 41}`, "42\n"},
		{".x", `{"x": 1.5e3}`, "1.5e3\n"}, // a number passed through is kept as written
		{"[.a[] | . * 2]", `{"a": [1, 2.5]}`, "[2,5]\n"},
	} {
		j, err := newJQ(tt.expr, false)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		lw := &lineWriter{w: &out}
		if err := j.run(lw, json.RawMessage(tt.item), 0); err != nil {
			t.Fatalf("%s on %s: %v", tt.expr, tt.item, err)
		}
		lw.flush()
		if out.String() != tt.want {
			t.Errorf("%s on %s: got %q, want %q", tt.expr, tt.item, out.String(), tt.want)
		}
	}
}

// TestJQItemsInTurn runs one program on items of every kind in turn, bare
// numbers among them, which its decoder ends at the end of the item, and
// a bad item, after which the next still decodes.
func TestJQItemsInTurn(t *testing.T) {
	j, err := newJQ(".", false)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lw := &lineWriter{w: &out}
	for _, item := range []string{`42`, `"x"`, `1.5`, `{"a": 1}`, `[1, 2]`, `null`, `{"a": `, `7`, ` true `} {
		err := j.run(lw, json.RawMessage(item), 0)
		if (err != nil) != (item == `{"a": `) {
			t.Errorf("%s: got error %v", item, err)
		}
	}
	lw.flush()
	if want := "42\n\"x\"\n1.5\n{\"a\":1}\n[1,2]\nnull\n7\ntrue\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
