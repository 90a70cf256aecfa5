package pagerhttp_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// The soak test exports a listing over real HTTP from a server that fails
// 10% of its requests, through every style, with retries and Prefetch, and
// checks that every record arrives exactly once, in order, in bounded
// memory. By default it exports 10,000 records per style; .ci/run sets
// -soak.records 1000000, and -soak.rounds repeats with other seeds:
//
//	go test -run TestSoak -soak.records 5000000 -soak.rounds 3 -v ./pagerhttp
var (
	soakRecords = flag.Int("soak.records", 10_000, "records per style in TestSoak")
	soakRounds  = flag.Int("soak.rounds", 1, "rounds of TestSoak, each with its own seed")
)

// soakFaults fail 10% of requests in every way that does not change the
// data: 429s, 5xx, connections reset mid-body, truncated bodies. Offset and
// token endpoints also cut pages short.
var soakFaults = apisim.Faults{
	TooMany:     0.02,
	ServerError: 0.03,
	Reset:       0.025,
	Truncate:    0.025,
	Short:       0.05,
	ErrorLine:   0,    // NDJSON: every stream breaks off after a tenth of the records (set below)…
	Heartbeat:   1000, // …and has a blank line every 1000
}

var soakRetry = pager.Retry(pager.RetryPolicy{Attempts: 12, MinDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})

// soakStyles are the walks of the soak test, one per style.
var soakStyles = []struct {
	name string
	src  func(url string, opts ...pager.Option) pager.Source[apisim.Record]
}{
	{"offset+total", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: url + apisim.Runs, Items: "runs"}
		return pager.Offset(pagerhttp.OffsetFetch[apisim.Record](ep), append(opts, pager.PageSize(1000), pager.MaxPageSize(1000))...)
	}},
	{"offset+bare array", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: url + apisim.Issues}
		return pager.Offset(pagerhttp.OffsetFetch[apisim.Record](ep), append(opts, pager.PageSize(999))...) // clamped to 200
	}},
	{"offset+has_more", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: url + apisim.Logs, Items: "items", Total: "-"}
		return pager.Offset(pagerhttp.OffsetFetch[apisim.Record](ep), append(opts, pager.PageSize(500))...)
	}},
	{"token", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: url + apisim.Objects, Items: "data"}
		return pager.Token(pagerhttp.TokenFetch[apisim.Record](ep), append(opts, pager.PageSize(100))...)
	}},
	{"page number", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		ep := pagerhttp.Endpoint{URL: url + apisim.Events, Items: "items"}
		return pager.PageNumber(pagerhttp.PageNumberFetch[apisim.Record](ep), append(opts, pager.PageSize(100))...)
	}},
	{"link", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		return pagerhttp.Link[apisim.Record](pagerhttp.Endpoint{URL: url + apisim.Repos}, append(opts, pager.PageSize(100))...)
	}},
	{"ndjson stream", func(url string, opts ...pager.Option) pager.Source[apisim.Record] {
		return pagerhttp.NDJSONStream[apisim.Record](pagerhttp.Endpoint{URL: url + apisim.Stream, OffsetParam: "offset"}, opts...)
	}},
}

func TestSoak(t *testing.T) {
	n := *soakRecords
	for round := range *soakRounds {
		for _, style := range soakStyles {
			t.Run(fmt.Sprintf("%s/round=%d", style.name, round), func(t *testing.T) {
				faults := soakFaults
				faults.ErrorLine = max(n/10, 100)
				srv := sim(t, apisim.Config{N: n, Seed: uint64(round + 1), Faults: faults})
				var retries atomic.Int64
				countRetries := pager.OnPage(func(p pager.PageInfo) { retries.Add(int64(p.Attempts - 1)) })
				src := pager.Prefetch(style.src(srv.URL, soakRetry, countRetries), 4)
				start := time.Now()
				got, peak := exportIDs(t, pager.All(context.Background(), src))
				if got != n {
					t.Fatalf("got %d records, want %d", got, n)
				}
				st := srv.Stats()
				t.Logf("%d records in %v: %d requests, %d faults injected, %d retries, peak live heap %.1f MiB",
					n, time.Since(start).Round(time.Millisecond), st.Requests, st.Faults(), retries.Load(), float64(peak)/(1<<20))
				if st.Faults() == 0 {
					t.Error("no faults were injected")
				}
				if peak > 64<<20 {
					t.Errorf("peak live heap %d MiB, want it bounded by a few pages and the server's state, under 64 MiB", peak>>20)
				}
			})
		}
	}
}

// exportIDs checks that seq yields the records 1, 2, 3, … in order, each
// once, and returns how many, and the peak live heap (after a collection)
// seen every 100,000 records — the client's and the server's together.
func exportIDs(t *testing.T, seq func(func(apisim.Record, error) bool)) (n int, peak uint64) {
	t.Helper()
	var ms runtime.MemStats
	for rec, err := range seq {
		if err != nil {
			t.Fatalf("after %d records: %v", n, err)
		}
		if n++; rec.ID != n {
			t.Fatalf("record %d has id %d: lost or repeated records", n, rec.ID)
		}
		if n%100_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	return n, peak
}
