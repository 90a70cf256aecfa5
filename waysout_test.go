package pager_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pagerseq/pager"
	"go.uber.org/goleak"
)

// openCounter is a Source written outside the package: it counts the
// walks that have not returned, as a source that holds a connection would.
type openCounter struct {
	src  pager.Source[int]
	open *atomic.Int32
}

func (s openCounter) Pages(ctx context.Context) iter.Seq2[pager.Page[int], error] {
	return func(yield func(pager.Page[int], error) bool) {
		s.open.Add(1)
		defer s.open.Add(-1)
		for p, err := range s.src.Pages(ctx) {
			if !yield(p, err) || err != nil {
				return
			}
		}
	}
}

// TestEveryWayOut ends a loop over All in each way a loop ends — break,
// Take, an error, a panic in the loop body that a caller recovers — for
// each kind of source, and checks that when the range statement has
// returned, no fetch is in flight, no walk of a source written outside the
// package is still open, and no goroutine is left.
func TestEveryWayOut(t *testing.T) {
	var inFlight, open atomic.Int32
	errDown := errors.New("down")
	// fetch serves 0, 1, … in pages of 10, and fails at offset 30.
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		off := req.Offset
		if req.Token != "" {
			fmt.Sscan(req.Token, &off)
		}
		if req.Page > 0 {
			off = (req.Page - 1) * 10
		}
		if off >= 30 {
			return pager.Page[int]{}, errDown
		}
		p := pager.Page[int]{Items: make([]int, 10), Next: fmt.Sprint(off + 10)}
		for i := range p.Items {
			p.Items[i] = off + i
		}
		return p, nil
	}
	lines := func() io.Reader {
		var b strings.Builder
		for i := range 30 {
			fmt.Fprintf(&b, "%d\n", i)
		}
		b.WriteString("{bad\n")
		return strings.NewReader(b.String())
	}
	kinds := map[string]func() pager.Source[int]{
		"Offset":     func() pager.Source[int] { return pager.Offset(fetch, pager.PageSize(10)) },
		"Token":      func() pager.Source[int] { return pager.Token(fetch, pager.PageSize(10)) },
		"PageNumber": func() pager.Source[int] { return pager.PageNumber(fetch, pager.PageSize(10)) },
		"NDJSON":     func() pager.Source[int] { return pager.NDJSON[int](lines()) },
		"NDJSONOpen": func() pager.Source[int] {
			return pager.NDJSONOpen[int](func(context.Context, int) (io.ReadCloser, error) { return io.NopCloser(lines()), nil })
		},
		"user Source": func() pager.Source[int] {
			return openCounter{pager.Offset(fetch, pager.PageSize(10)), &open}
		},
		"bounded Offset": func() pager.Source[int] {
			return pager.Offset(fetch, pager.PageSize(10), pager.StartOffset(5), pager.EndOffset(45))
		},
	}
	for name, kind := range kinds {
		kinds["Prefetch of "+name] = func() pager.Source[int] { return pager.Prefetch(kind(), 3) }
	}
	ways := map[string]func(seq iter.Seq2[int, error]){
		"break": func(seq iter.Seq2[int, error]) {
			for v := range seq {
				if v == 15 {
					break
				}
			}
		},
		"Take": func(seq iter.Seq2[int, error]) { _, _ = pager.Collect(pager.Take(seq, 15)) },
		"error": func(seq iter.Seq2[int, error]) {
			if _, err := pager.Collect(seq); err == nil {
				t.Error("the walk ended with no error")
			}
		},
		"panic": func(seq iter.Seq2[int, error]) {
			defer func() {
				if r := recover(); r != "body" {
					t.Errorf("recovered %v, want the body's panic", r)
				}
			}()
			for v := range seq {
				if v == 15 {
					panic("body")
				}
			}
		},
	}
	for name, kind := range kinds {
		for way, end := range ways {
			t.Run(name+"/"+way, func(t *testing.T) {
				end(pager.All(context.Background(), kind()))
				if n, o := inFlight.Load(), open.Load(); n != 0 || o != 0 {
					t.Errorf("after the range statement: %d fetches in flight, %d walks open, want none", n, o)
				}
				goleak.VerifyNone(t)
			})
		}
	}
}
