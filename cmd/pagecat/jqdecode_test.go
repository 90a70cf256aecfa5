package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeValue checks a valueDecoder against encoding/json with
// UseNumber: the same value wherever it decodes, and a decoding wherever
// encoding/json has one, but for values nested deeper than maxDepth,
// which it leaves to encoding/json. One decoder decodes every input twice,
// the second time with its keys kept.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{
		`{"id":123456,"name":"record-123456","status":"failed","created_at":"2026-03-27T17:35:00Z"}`,
		` {"a": [1, -2.5e+3, 0, -0, true, false, null, {}, []], "b": {"c": "d"}} `,
		`{"a":1,"a":2}`, `"\u00e9\n\"\\"`, `"caf\u00e9"`, "\"caf\xc3\xa9\"", "\"\xff\"",
		`01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `[1 2]`, `{1:2}`, `"a` + "\x01" + `"`, `1 2`, `{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	var d valueDecoder
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := d.decode(data)
		if again, ok2 := d.decode(data); ok2 != ok || !reflect.DeepEqual(again, got) {
			t.Fatalf("decoding %q again gave %#v, %v; the first time %#v, %v", data, again, ok2, got, ok)
		}
		if !json.Valid(data) {
			if ok {
				t.Fatalf("decode(%q) = %#v, but it is not JSON", data, got)
			}
			return
		}
		if !ok {
			if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) <= maxDepth {
				t.Fatalf("decode(%q) failed; encoding/json decodes it", data)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decode(%q) = %#v, want %#v", data, got, want)
		}
	})
}

// TestDecodeValueDeep checks that a value nested deeper than maxDepth is
// left to encoding/json, which -jq then uses.
func TestDecodeValueDeep(t *testing.T) {
	deep := bytes.Repeat([]byte("["), maxDepth+2)
	deep = append(deep, bytes.Repeat([]byte("]"), maxDepth+2)...)
	var d valueDecoder
	if _, ok := d.decode(deep); ok {
		t.Errorf("valueDecoder decoded %d nested arrays; want them left to encoding/json", maxDepth+2)
	}
	j, err := newJQ("[paths] | length", false)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lw := &lineWriter{w: &out}
	if err := j.run(lw, deep, 0); err != nil {
		t.Fatal(err)
	}
	lw.flush()
	if want := "1001\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// BenchmarkDecodeValue decodes a record as the simulator writes it with
// a valueDecoder and with encoding/json, as -jq did before.
func BenchmarkDecodeValue(b *testing.B) {
	item := []byte(`{"id":123456,"name":"record-123456","status":"failed","created_at":"2026-03-27T17:35:00Z"}`)
	b.Run("impl=valueDecoder", func(b *testing.B) {
		b.ReportAllocs()
		var d valueDecoder
		for range b.N {
			if _, ok := d.decode(item); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("impl=encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		var f feed
		dec := json.NewDecoder(&f)
		dec.UseNumber()
		for range b.N {
			f.b = item
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
