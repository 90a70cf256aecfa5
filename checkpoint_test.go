package pager_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

func TestCheckpointText(t *testing.T) {
	for _, c := range []pager.Checkpoint{
		{},
		{Offset: 120},
		{Offset: 100, Token: "v1.QnVp+/=&?", Skip: 3},
		{Token: "a b"},
		{Offset: 40, Page: 3, Skip: 7},
	} {
		text, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got pager.Checkpoint
		if err := got.UnmarshalText(text); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got != c {
			t.Errorf("text %q: got %+v, want %+v", text, got, c)
		}
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got = pager.Checkpoint{}
		if err := json.Unmarshal(js, &got); err != nil || got != c {
			t.Errorf("JSON %s: got %+v, %v; want %+v", js, got, err, c)
		}
	}
	if js, _ := json.Marshal(pager.Checkpoint{Offset: 7, Token: "t", Skip: 2}); string(js) != `{"offset":7,"token":"t","skip":2}` {
		t.Errorf("got JSON %s, want an object", js)
	}
	for _, bad := range []string{"offset=x", "offset=-1", "skip=1.5", "%zz"} {
		var c pager.Checkpoint
		if err := c.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: got %+v, want an error", bad, c)
		}
	}
	var c pager.Checkpoint
	if err := json.Unmarshal([]byte(`{"offset":-5}`), &c); err == nil {
		t.Errorf("negative JSON offset: got %+v, want an error", c)
	}
}

// TestCrashAndResume kills an export at random items, saves the checkpoint
// as text the way a process would, and resumes a new walk from it: every
// item must arrive exactly once, in order.
func TestCrashAndResume(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 257
	servers := map[string]func() (*pagetest.Server, pager.Source[int]){
		"offset": func() (*pagetest.Server, pager.Source[int]) {
			srv := &pagetest.Server{N: n, Clamp: 40, Total: true}
			return srv, pager.Offset(srv.Offset, pager.PageSize(50))
		},
		"page number": func() (*pagetest.Server, pager.Source[int]) {
			fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
				var p pager.Page[int]
				for i := (req.Page - 1) * req.Limit; i < min(req.Page*req.Limit, n); i++ {
					p.Items = append(p.Items, i)
				}
				return p, nil
			}
			return nil, pager.PageNumber(fetch, pager.PageSize(25))
		},
		"prefetched page number": func() (*pagetest.Server, pager.Source[int]) {
			fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
				var p pager.Page[int]
				for i := (req.Page - 1) * req.Limit; i < min(req.Page*req.Limit, n); i++ {
					p.Items = append(p.Items, i)
				}
				p.Last = req.Page*req.Limit >= n
				return p, nil
			}
			return nil, pager.Prefetch(pager.PageNumber(fetch, pager.PageSize(25)), 3)
		},
		"prefetched offset": func() (*pagetest.Server, pager.Source[int]) {
			srv := &pagetest.Server{N: n, Clamp: 40, Total: true}
			return srv, pager.Prefetch(pager.Offset(srv.Offset, pager.PageSize(50)), 4)
		},
		"token": func() (*pagetest.Server, pager.Source[int]) {
			srv := &pagetest.Server{N: n, Short: func(r pager.Request) int { return 1 + len(r.Token)%7*5 }}
			return srv, pager.Token(srv.Token, pager.PageSize(30))
		},
	}
	for name, build := range servers {
		for round := 0; round < 60; round++ {
			var got []int
			var saved []byte // what the dead process left on disk
			for crashes := 0; ; crashes++ {
				if crashes > 20 {
					t.Fatalf("%s: no progress", name)
				}
				var cp pager.Checkpoint
				if saved != nil {
					if err := cp.UnmarshalText(saved); err != nil {
						t.Fatal(err)
					}
				}
				_, src := build() // a new process, a new source
				crashAt := rng.IntN(n/2 + 1)
				done := true
				k := 0
				for v, err := range pager.AllFrom(context.Background(), src, &cp) {
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if k == crashAt {
						done = false
						break // killed before processing v
					}
					got = append(got, v)
					saved, _ = cp.MarshalText()
					k++
				}
				if done {
					break
				}
			}
			if diff := cmp.Diff(pagetest.Ints(n), got); diff != "" {
				t.Fatalf("%s round %d: items across crashes (-want +got):\n%s", name, round, diff)
			}
		}
	}
}

func TestTrackCheckpoints(t *testing.T) {
	s := &scripted{pages: []pager.Page[int]{page("a", 0, 1), page("b"), page("", 2, 3)}}
	var cp pager.Checkpoint
	var got []pager.Checkpoint
	for _, err := range pager.AllFrom(context.Background(), pager.Token(s.fetch), &cp) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cp)
	}
	want := []pager.Checkpoint{
		{Offset: 0, Token: "", Skip: 1},
		{Offset: 2, Token: "a"}, // the next page, from its start
		{Offset: 2, Token: "b", Skip: 1},
		{Offset: 2, Token: "b", Skip: 2}, // resuming here refetches the last page and yields nothing
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkpoints (-want +got):\n%s", diff)
	}
}

func TestResumeErrors(t *testing.T) {
	srv := &pagetest.Server{N: 100, Clamp: 10}
	// A token checkpoint given to an Offset walk is bad input, not a panic.
	cp := pager.Checkpoint{Token: "@10"}
	_, err := pager.Collect(pager.AllFrom(context.Background(), pager.Offset(srv.Offset), &cp))
	if err == nil {
		t.Error("token checkpoint on an Offset walk: got no error")
	}
	// The resumed page holds fewer items than the checkpoint says were delivered.
	cp = pager.Checkpoint{Offset: 10, Token: "@10", Skip: 15}
	_, err = pager.Collect(pager.AllFrom(context.Background(), pager.Token(srv.Token), &cp))
	var pe *pager.PageError
	if !errors.As(err, &pe) || pe.Token != "@10" || pe.Offset != 10 {
		t.Errorf("got %v, want a *PageError at token @10, offset 10", err)
	}
}

func TestStrictTotal(t *testing.T) {
	total := 50
	fetch := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		p := pager.Page[int]{Total: total}
		for i := req.Offset; i < min(req.Offset+10, total); i++ {
			p.Items = append(p.Items, i)
		}
		total++ // a record is inserted after every page
		return p, nil
	}
	items, err := pager.Collect(pager.All(context.Background(), pager.Offset(fetch, pager.PageSize(10), pager.StrictTotal())))
	var pe *pager.PageError
	if !errors.Is(err, pager.ErrTotalChanged) || !errors.As(err, &pe) || pe.Offset != 10 || len(items) != 10 {
		t.Errorf("got %d items and %v, want 10 and ErrTotalChanged at offset 10", len(items), err)
	}
	total = 50
	if _, err := pager.Collect(pager.All(context.Background(), pager.Offset(fetch, pager.PageSize(10)))); err != nil {
		t.Errorf("without StrictTotal: got %v, want no error", err)
	}
}

func TestDedupe(t *testing.T) {
	// An insertion at the front after the first page shifts item 9 onto the second.
	shifted := func(_ context.Context, req pager.Request) (pager.Page[int], error) {
		list := pagetest.Ints(30)
		if req.Offset > 0 {
			list = append([]int{-1}, list...)
		}
		return pager.Page[int]{Items: list[min(req.Offset, len(list)):min(req.Offset+10, len(list))]}, nil
	}
	id := func(i int) int { return i }
	items, err := pager.Collect(pager.Dedupe(pager.All(context.Background(), pager.Offset(shifted, pager.PageSize(10))), id))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pagetest.Ints(30), items); diff != "" {
		t.Errorf("deduped (-want +got):\n%s", diff)
	}
	_, err = pager.Collect(pager.RejectDuplicates(pager.All(context.Background(), pager.Offset(shifted, pager.PageSize(10))), id))
	if !errors.Is(err, pager.ErrDuplicate) {
		t.Errorf("RejectDuplicates: got %v, want ErrDuplicate", err)
	}
}

// TestIgnoredOffset is go-github #3976: an endpoint that ignores the offset
// serves its first page for every request. With no total, the walk would
// never end; RejectDuplicates ends it at the first repeated item.
func TestIgnoredOffset(t *testing.T) {
	calls := 0
	first := func(context.Context, pager.Request) (pager.Page[int], error) {
		calls++
		return pager.Page[int]{Items: []int{1, 2, 3}}, nil
	}
	items, err := pager.Collect(pager.RejectDuplicates(pager.All(context.Background(), pager.Offset(first)), func(i int) int { return i }))
	if !errors.Is(err, pager.ErrDuplicate) || len(items) != 3 || calls != 2 {
		t.Errorf("got %v after %d items and %d fetches, want ErrDuplicate after 3 and 2", err, len(items), calls)
	}
}
