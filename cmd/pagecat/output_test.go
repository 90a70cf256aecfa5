package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteItem checks that each item comes out compact, on a line of its
// own, whether it came compact or not; whitespace inside strings is kept.
func TestWriteItem(t *testing.T) {
	tests := []struct {
		label, item, want string
	}{
		{"compact", `{"id":1,"name":"a b"}`, `{"id":1,"name":"a b"}`},
		{"spaces", `{"id": 1, "tags": [1, 2]}`, `{"id":1,"tags":[1,2]}`},
		{"pretty", "{\n\t\"id\": 1\r\n}", `{"id":1}`},
		{"escaped quote, then a space", `{"s":"a\" b", "t":1}`, `{"s":"a\" b","t":1}`},
		{"a string of an escaped quote", `["\"", 1]`, `["\"",1]`},
		{"escaped backslash ends the string", `{"s":"a\\", "t":1}`, `{"s":"a\\","t":1}`},
		{"escapes of whitespace", `["\n\t\r", 1]`, `["\n\t\r",1]`},
		{"a bare string with spaces", `"a b c"`, `"a b c"`},
		{"a number", `12.5e3`, `12.5e3`},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			var out bytes.Buffer
			lw := &lineWriter{w: &out}
			if err := lw.writeItem(json.RawMessage(tt.item)); err != nil {
				t.Fatal(err)
			}
			if err := lw.flush(); err != nil {
				t.Fatal(err)
			}
			if got, want := out.String(), tt.want+"\n"; got != want {
				t.Errorf("writeItem(%q) wrote %q, want %q", tt.item, got, want)
			}
		})
	}
}

// FuzzWriteItem checks that writeItem writes any JSON value as
// json.Compact does, on a line of its own.
func FuzzWriteItem(f *testing.F) {
	for _, s := range []string{`{"id":1}`, `{"id": 1}`, `["a\"", "b\\"]`, "[\n1]", `"x y"`, `{"a":{"b":[true,null]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, item []byte) {
		if !json.Valid(item) {
			return // the walk's decoder lets no such item through
		}
		item = bytes.TrimSpace(item) // as a decoder gives a value
		var want bytes.Buffer
		if err := json.Compact(&want, item); err != nil {
			t.Fatal(err)
		}
		want.WriteByte('\n')
		var out bytes.Buffer
		lw := &lineWriter{w: &out}
		if err := lw.writeItem(item); err != nil {
			t.Fatal(err)
		}
		if err := lw.flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Errorf("writeItem(%q) wrote %q, want %q", item, out.Bytes(), want.Bytes())
		}
	})
}
