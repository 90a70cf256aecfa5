package pager_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// script hands out fuzzer-chosen bytes, then zeros once they run out, so
// that the server it drives behaves normally from then on.
type script []byte

func (s *script) next() byte {
	if len(*s) == 0 {
		return 0
	}
	b := (*s)[0]
	*s = (*s)[1:]
	return b
}

var errFuzz = errors.New("fuzz: injected failure")

// fuzzPolicy retries twice, without sleeping.
var fuzzPolicy = []pager.Option{
	pager.Retry(pager.RetryPolicy{Attempts: 3, MinDelay: time.Millisecond, MaxDelay: time.Millisecond}),
	pager.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }),
}

// checkWalk checks the outcome of a fuzzed walk of the listing 0..n-1:
// every item exactly once, in order, or a prefix of them and a typed error.
func checkWalk(t *testing.T, items []int, errs []error, n int, wantErr error) {
	t.Helper()
	for i, v := range items {
		if v != i {
			t.Fatalf("item %d is %d: items %v", i, v, items)
		}
	}
	switch {
	case len(errs) > 1:
		t.Fatalf("got %d errors, want at most one: %v", len(errs), errs)
	case len(errs) == 0 && len(items) != n:
		t.Fatalf("got %d items and no error, want %d", len(items), n)
	case len(errs) == 1:
		var pe *pager.PageError
		if !errors.As(errs[0], &pe) || !errors.Is(errs[0], wantErr) && !errors.Is(errs[0], errFuzz) {
			t.Fatalf("got error %v, want a *PageError", errs[0])
		}
		if pe.Offset != len(items) {
			t.Fatalf("error at offset %d after %d items: resuming there would lose or repeat items", pe.Offset, len(items))
		}
	}
}

// FuzzOffset walks a listing served by a server whose every answer the
// fuzzer chooses within what honest servers do: clamp or cut pages short,
// report a total or has_more or neither, fail now and then.
func FuzzOffset(f *testing.F) {
	f.Add([]byte{37, 10})
	f.Add([]byte{100, 7, 1, 0x93, 2, 0xff, 0x40, 3, 0x81})
	f.Add([]byte{0, 1})
	f.Add([]byte{200, 200, 0x55, 0x55, 0x55, 0xaa, 0xaa})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := script(data)
		n, limit := int(s.next()), 1+int(s.next())%64
		reportTotal, reportLast := len(data)%2 == 0, len(data)%3 == 0
		calls := 0
		fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
			if calls++; calls > 4*(n+2)+len(data) {
				t.Fatalf("%d fetches for %d items: the walk does not end", calls, n)
			}
			b := s.next()
			if b == 0xff {
				return pager.Page[int]{}, errFuzz
			}
			size := req.Limit
			if b&1 == 1 {
				size = 1 + int(b>>1)%req.Limit // a short page
			}
			var p pager.Page[int]
			for i := req.Offset; i < min(req.Offset+size, n); i++ {
				p.Items = append(p.Items, i)
			}
			if reportTotal {
				p.Total = n
			}
			p.Last = reportLast && req.Offset+len(p.Items) >= n
			return p, nil
		}
		items, errs, _ := pagetest.Drain(pager.All(context.Background(), pager.Offset(fetch, append(fuzzPolicy, pager.PageSize(limit))...)))
		checkWalk(t, items, errs, n, errFuzz)
	})
}

// FuzzToken walks a cursor listing whose pages the fuzzer sizes (empty ones
// included), and whose server may fail or hand back a token it already
// issued: the walk must end with ErrRepeatedToken (or ErrNoProgress after a
// long run of empty pages), not loop.
func FuzzToken(f *testing.F) {
	f.Add([]byte{37, 10})
	f.Add([]byte{50, 5, 0, 0, 0, 3, 0xfe, 9})
	f.Add([]byte{20, 3, 0xfd, 0xfd, 1, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := script(data)
		n, limit := int(s.next()), 1+int(s.next())%64
		var issued []string
		calls := 0
		fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
			if calls++; calls > 4*(n+2)+2*len(data) {
				t.Fatalf("%d fetches for %d items: the walk does not end", calls, n)
			}
			off := 0
			if req.Token != "" {
				fmt.Sscanf(req.Token, "@%d#", &off)
			}
			b := s.next()
			if b == 0xff {
				return pager.Page[int]{}, errFuzz
			}
			size := req.Limit
			switch {
			case b&3 == 1:
				size = 0 // an empty page with a token
			case b&3 == 2:
				size = int(b>>2) % (2 * req.Limit) // shorter or longer than asked
			}
			var p pager.Page[int]
			for i := off; i < min(off+size, n); i++ {
				p.Items = append(p.Items, i)
			}
			if end := off + len(p.Items); end < n {
				p.Next = fmt.Sprintf("@%d#%d", end, calls) // unique even for an empty page
				if b == 0xfe && len(issued) > 0 {
					p.Next = issued[int(s.next())%len(issued)] // a token from before
				}
				issued = append(issued, p.Next)
			}
			return p, nil
		}
		items, errs, _ := pagetest.Drain(pager.All(context.Background(), pager.Token(fetch, append(fuzzPolicy, pager.PageSize(limit))...)))
		if len(errs) == 1 && (errors.Is(errs[0], pager.ErrRepeatedToken) || errors.Is(errs[0], pager.ErrNoProgress)) {
			// The walk stopped at the repeat, or after MaxEmptyPages empty
			// pages in a row: what it yielded must still be a prefix, each
			// item once.
			checkWalk(t, items, nil, len(items), nil)
			return
		}
		checkWalk(t, items, errs, n, errFuzz)
	})
}
