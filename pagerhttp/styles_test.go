package pagerhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// style is a pagination style under test: the source it builds for a
// server's URL, the id of an item, and the ids a walk yields, in order.
type style[T any] struct {
	n    int // records served
	src  func(url string, c *http.Client, opts ...pager.Option) pager.Source[T]
	id   func(T) int
	want []int // default 1 to n
}

// checkStyle checks the rules every source keeps on s: a walk yields every
// item once, in order; nothing is fetched before the loop, nor after a
// break; a walk that fails resumes from its PageError's Checkpoint, a
// walk stopped mid-page from its AllFrom Checkpoint; and Prefetch yields
// the same.
func checkStyle[T any](t *testing.T, s style[T]) {
	t.Helper()
	if s.want == nil {
		for i := 1; i <= s.n; i++ {
			s.want = append(s.want, i)
		}
	}
	ctx := context.Background()
	ids := func(items []T) []int {
		out := make([]int, len(items))
		for i, v := range items {
			out[i] = s.id(v)
		}
		return out
	}
	t.Run("all", func(t *testing.T) {
		srv := sim(t, apisim.Config{N: s.n})
		src := s.src(srv.URL, client(t))
		seq := pager.All(ctx, src)
		if n := srv.Stats().Requests; n != 0 {
			t.Fatalf("got %d requests before the loop, want 0", n)
		}
		got, err := pager.Collect(seq)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, ids(got)); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
	t.Run("break", func(t *testing.T) {
		srv := sim(t, apisim.Config{N: s.n})
		for _, err := range pager.All(ctx, s.src(srv.URL, client(t))) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if n := srv.Stats().Requests; n != 1 {
			t.Errorf("got %d requests for a loop that breaks on the first item, want 1", n)
		}
	})
	t.Run("resume", func(t *testing.T) {
		// Half the requests fail; the seed is the first to fail a walk.
		for seed := uint64(1); ; seed++ {
			srv := sim(t, apisim.Config{N: s.n, Seed: seed, Faults: apisim.Faults{ServerError: 0.5}})
			got, resumed := resumeWalks(t, srv, s)
			if !resumed && seed < 20 {
				continue
			}
			if !resumed {
				t.Error("no walk failed: nothing was resumed")
			}
			if diff := cmp.Diff(s.want, ids(got)); diff != "" {
				t.Errorf("ids over the resumed walks (-want +got):\n%s", diff)
			}
			return
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		// Stop after 7 items, mid-page, and go on from the Checkpoint.
		srv := sim(t, apisim.Config{N: s.n})
		c := client(t)
		var cp pager.Checkpoint
		got, err := pager.Collect(pager.Take(pager.AllFrom(ctx, s.src(srv.URL, c), &cp), 7))
		if err != nil {
			t.Fatal(err)
		}
		rest, err := pager.Collect(pager.AllFrom(ctx, pager.Prefetch(s.src(srv.URL, c), 3), &cp))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, ids(append(got, rest...))); diff != "" {
			t.Errorf("ids before and after the checkpoint %v (-want +got):\n%s", cp, diff)
		}
	})
	t.Run("prefetch", func(t *testing.T) {
		srv := sim(t, apisim.Config{N: s.n})
		got, err := pager.Collect(pager.All(ctx, pager.Prefetch(s.src(srv.URL, client(t)), 3)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, ids(got)); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
}

func recID(r Rec) int { return r.ID }

// descending returns n to 1.
func descending(n int) []int {
	out := make([]int, 0, n)
	for i := n; i >= 1; i-- {
		out = append(out, i)
	}
	return slices.Clip(out)
}

// resumeWalks walks s on srv, resuming from each PageError's Checkpoint,
// and returns the items and whether a walk was resumed.
func resumeWalks[T any](t *testing.T, srv *apisim.Server, s style[T]) (got []T, resumed bool) {
	t.Helper()
	c := client(t)
	var opts []pager.Option
	for range 200 {
		items, err := pager.Collect(pager.All(context.Background(), s.src(srv.URL, c, opts...)))
		got = append(got, items...)
		var pe *pager.PageError
		if !errors.As(err, &pe) {
			if err != nil {
				t.Fatal(err)
			}
			return got, resumed
		}
		opts, resumed = []pager.Option{pager.Resume(pe.Checkpoint)}, true
	}
	t.Fatal("200 walks, and the listing not walked yet")
	return nil, false
}

func TestCursorSettingsPanic(t *testing.T) {
	tests := []struct {
		label  string
		ep     pagerhttp.Endpoint
		reason string
	}{
		{"cursor from the query", pagerhttp.Endpoint{Cursor: pagerhttp.Query("cursor")}, "a response has no query"},
		{"cursor to an item", pagerhttp.Endpoint{SendCursor: pagerhttp.LastItem("id")}, "a request has no items"},
		{"body field without a body", pagerhttp.Endpoint{SendCursor: pagerhttp.BodyField("start_cursor")}, "no Body to put it in"},
		{"two headers to one parameter", pagerhttp.Endpoint{Cursor: pagerhttp.Header("A", "B"), SendCursor: pagerhttp.Query("a")}, "not paired"},
		{"no names", pagerhttp.Endpoint{Cursor: pagerhttp.Header()}, "a Place names nothing"},
		{"body not an object", pagerhttp.Endpoint{Body: `[1]`}, "the cursor and page size go in fields of an object"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			tt.ep.URL = "https://api.example.com/v1/things"
			mustPanic(t, func() { pagerhttp.TokenFetch[Rec](tt.ep) }, tt.reason)
		})
	}
	ep := pagerhttp.Endpoint{URL: "https://api.example.com/graphql"}
	mustPanic(t, func() { pagerhttp.GraphQLFetch[Rec](ep, "{}", nil) }, "GraphQLFetch needs the connection's path")
	ep.Body = "{}"
	mustPanic(t, func() { pagerhttp.NextURL[Rec](ep) }, "NextURL sends no Body")
}

func mustPanic(t *testing.T, f func(), reason string) {
	t.Helper()
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("no panic: %s", reason)
		}
	}()
	f()
}

// TestCursorBodyNotRetried: a body that does not decode is not asked for
// again.
func TestCursorBodyNotRetried(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write([]byte(`{"data": {"not": "a list"}}`))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL, Items: "data", Cursor: pagerhttp.Header("X-Next-Cursor")}
	retry := pager.Retry(pager.RetryPolicy{Attempts: 3, MinDelay: time.Microsecond})
	_, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[Rec](ep), retry)))
	if err == nil || requests.Load() != 1 {
		t.Errorf("got %v after %d requests, want a decoding error after 1", err, requests.Load())
	}
}

func TestPlaceString(t *testing.T) {
	if got, want := pagerhttp.Header("A", `B"`).String(), `Header("A", "B\"")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
