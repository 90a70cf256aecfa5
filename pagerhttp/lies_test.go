package pagerhttp_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// Servers that lie, over real HTTP: what users of other pagination
// libraries hit, detected and reported here rather than walked forever.

func recordID(r apisim.Record) int { return r.ID }

// checkPrefix checks that recs are the records 1, 2, … len(recs).
func checkPrefix(t *testing.T, recs []apisim.Record) {
	t.Helper()
	for i, r := range recs {
		if r.ID != i+1 {
			t.Fatalf("record %d has id %d", i+1, r.ID)
		}
	}
}

// TestLyingTokenCycle: the third page names itself as the next.
func TestLyingTokenCycle(t *testing.T) {
	s := sim(t, apisim.Config{N: 1000, Seed: 7, Faults: apisim.Faults{RepeatToken: 3}})
	src := pager.Token(pagerhttp.TokenFetch[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Objects, Items: "data"}))
	recs, err := pager.Collect(pager.All(context.Background(), src))
	var pe *pager.PageError
	if !errors.Is(err, pager.ErrRepeatedToken) || !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PageError wrapping ErrRepeatedToken", err)
	}
	checkPrefix(t, recs)
	if len(recs) != 300 || pe.Offset != 300 {
		t.Errorf("got %d records and an error at offset %d, want 300 and 300", len(recs), pe.Offset)
	}
	if got := s.Stats().Requests; got != 3 {
		t.Errorf("got %d requests, want 3: the repeated token is not fetched", got)
	}
}

func TestExpiredToken(t *testing.T) {
	s := sim(t, apisim.Config{N: 1000, Seed: 7, Faults: apisim.Faults{ExpireToken: 2}})
	src := pager.Token(pagerhttp.TokenFetch[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Objects, Items: "data"}),
		pager.Retry(pager.RetryPolicy{Attempts: 5}))
	recs, err := pager.Collect(pager.All(context.Background(), src))
	var pe *pager.PageError
	var he *pagerhttp.HTTPError
	if !errors.As(err, &pe) || !errors.As(err, &he) || he.StatusCode != http.StatusGone {
		t.Fatalf("got %v, want a *PageError around a 410 *HTTPError", err)
	}
	checkPrefix(t, recs)
	if len(recs) != 200 || pe.Offset != 200 || pe.Token == "" || pe.Attempts != 1 {
		t.Errorf("got %d records, error %+v; want 200, and the error at offset 200 with the expired token, not retried", len(recs), pe)
	}
}

func TestLastPageAgain(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		n       int
		wantErr error
		reason  string
	}{
		{95, nil, "the last page is short: answered again, it ends the walk"},
		{100, pager.ErrRepeatedPage, "the last page is full: answered again, it cannot be told from a server that ignores ?page"},
	} {
		s := sim(t, apisim.Config{N: tt.n, Seed: 7, Faults: apisim.Faults{RepeatLastPage: true}})
		src := pager.PageNumber(pagerhttp.PageNumberFetch[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Events, Items: "items"}), pager.PageSize(20))
		recs, err := pager.Collect(pager.All(ctx, src))
		if !errors.Is(err, tt.wantErr) || err != nil && tt.wantErr == nil {
			t.Errorf("N=%d: got %v, want %v: %s", tt.n, err, tt.wantErr, tt.reason)
		}
		checkPrefix(t, recs)
		if len(recs) != tt.n {
			t.Errorf("N=%d: got %d records, want all", tt.n, len(recs))
		}
	}
}

// TestIgnoredPaging is go-github #3976 over HTTP: the server ignores the
// offset or page parameter and serves its first page to every request.
func TestIgnoredPaging(t *testing.T) {
	ctx := context.Background()
	s := sim(t, apisim.Config{N: 10_000, Seed: 7, Faults: apisim.Faults{IgnorePaging: true}})

	// No total: an offset walk would go on forever; RejectDuplicates ends it.
	issues := pager.Offset(pagerhttp.OffsetFetch[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Issues}), pager.PageSize(200))
	recs, err := pager.Collect(pager.RejectDuplicates(pager.All(ctx, issues), recordID))
	if !errors.Is(err, pager.ErrDuplicate) || len(recs) != 200 {
		t.Errorf("offset: got %d records and %v, want 200 and ErrDuplicate", len(recs), err)
	}

	// A page-number walk sees the repeat itself.
	events := pager.PageNumber(pagerhttp.PageNumberFetch[apisim.Record](pagerhttp.Endpoint{URL: s.URL + apisim.Events, Items: "items"}))
	recs, err = pager.Collect(pager.All(ctx, events))
	if !errors.Is(err, pager.ErrRepeatedPage) || len(recs) != 100 {
		t.Errorf("page number: got %d records and %v, want 100 and ErrRepeatedPage", len(recs), err)
	}
}

// TestChangingData walks listings that change between pages: insertions
// repeat records (Dedupe mends that), and StrictTotal sees the change.
func TestChangingData(t *testing.T) {
	ctx := context.Background()
	s := sim(t, apisim.Config{N: 2000, Seed: 7, Faults: apisim.Faults{Insert: 0.5}})
	runs := func(opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: s.URL + apisim.Runs, Items: "runs"}
		return pager.Offset(pagerhttp.OffsetFetch[apisim.Record](ep), append(opts, pager.PageSize(100))...)
	}

	recs, err := pager.Collect(pager.All(ctx, runs()))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]bool)
	repeats := 0
	for _, r := range recs {
		if seen[r.ID] {
			repeats++
		}
		seen[r.ID] = true
	}
	if repeats == 0 {
		t.Fatal("no record was repeated: the insertions did not shift the listing")
	}

	recs, err = pager.Collect(pager.Dedupe(pager.All(ctx, runs()), recordID))
	if err != nil {
		t.Fatal(err)
	}
	unique := make(map[int]bool)
	for _, r := range recs {
		if unique[r.ID] {
			t.Fatalf("Dedupe yielded record %d twice", r.ID)
		}
		unique[r.ID] = true
	}

	_, err = pager.Collect(pager.All(ctx, runs(pager.StrictTotal())))
	if !errors.Is(err, pager.ErrTotalChanged) {
		t.Errorf("StrictTotal: got %v, want ErrTotalChanged", err)
	}
	t.Logf("%d repeats without Dedupe, none with it; StrictTotal: %v", repeats, err)
}
