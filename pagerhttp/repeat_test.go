package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/walkid"
	"github.com/pagerseq/pager/pagerhttp"
)

// TestRepeatedPageAnyOrder: under Prefetch, the page at 100 of a static
// file may be answered before the walk's request for offset 0 starts.
// That request used to forget the pages seen, taking itself for the start
// of a new walk: the page at 100 was forgotten, the one at 0 taken for new,
// and the file yielded twice or three times before the repeat was seen
// (TestOffsetIgnored failed about once in 200 runs). Pages are now told
// apart by the walk they belong to, in any order.
func TestRepeatedPageAnyOrder(t *testing.T) {
	srv := fileServer(t, 100)
	fetch := pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL + "/arr.json", Client: client(t)})
	walk := walkid.With(context.Background(), new(int))
	if _, err := fetch(walk, pager.Request{Offset: 100, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(walk, pager.Request{Offset: 0, Limit: 100}); !errors.Is(err, pager.ErrRepeatedPage) {
		t.Errorf("got %v for the page at 0 after the same at 100, want ErrRepeatedPage", err)
	}
	// Another walk's pages are not compared with these.
	other := walkid.With(context.Background(), new(int))
	if _, err := fetch(other, pager.Request{Offset: 200, Limit: 100}); err != nil {
		t.Errorf("got %v for another walk's first page, want none", err)
	}
}

// TestRepeatedPageShiftedListing: one FetchFunc serves walk after walk of
// a listing that gains or loses exactly a page of items at its front
// between walks (a feed polled for its news), sequential and under
// Prefetch: a page of one walk that holds what another walk got at the
// next or previous offset is no repeat.
func TestRepeatedPageShiftedListing(t *testing.T) {
	var front atomic.Int64 // the id of the listing's first item; ids go down from there to 1
	front.Store(500)
	srv := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		top := int(front.Load())
		fmt.Fprint(w, "[")
		for i := 0; i < limit && off+i < top; i++ {
			if i > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"id": %d}`, top-off-i)
		}
		fmt.Fprint(w, "]")
	})
	fetch := pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL + "/items", Client: client(t)})
	for round, shift := range []int{100, 100, -100, -100, 100, -100} {
		for _, n := range []int{0, 4} {
			src := pager.Offset(fetch, pager.PageSize(100))
			if n > 0 {
				src = pager.Prefetch(src, n)
			}
			items, err := pager.Collect(pager.All(context.Background(), src))
			if err != nil || len(items) != int(front.Load()) {
				t.Fatalf("round %d, prefetch %d: got %d items and %v, want %d and no error", round, n, len(items), err, front.Load())
			}
		}
		front.Add(int64(shift))
	}
}
