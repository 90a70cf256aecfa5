package pagerhttp_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// TestStyleFaultsRetried walks styles through 429s, 5xx, resets and
// bodies cut short, all retried: every item once, in order.
func TestStyleFaultsRetried(t *testing.T) {
	const n = 300
	faults := apisim.Faults{TooMany: 0.1, ServerError: 0.1, Reset: 0.05, Truncate: 0.2}
	retry := pager.Retry(pager.RetryPolicy{Attempts: 20, MinDelay: time.Microsecond, MaxDelay: time.Microsecond})
	tests := []struct {
		label string
		src   func(u string, c *http.Client) pager.Source[Rec]
	}{
		{"next URL", func(u string, c *http.Client) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.DRF, Client: c, Items: "results", LimitParam: "page_size"}
			return pagerhttp.NextURL[Rec](ep, retry, pager.PageSize(20))
		}},
		{"keyset", func(u string, c *http.Client) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Since, Client: c, LimitParam: "per_page",
				Cursor: pagerhttp.LastItem("id"), SendCursor: pagerhttp.Query("since")}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), retry, pager.PageSize(20))
		}},
		{"header cursor", func(u string, c *http.Client) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Cursors, Client: c, LimitParam: "limit",
				Cursor: pagerhttp.Header("X-Next-Cursor"), SendCursor: pagerhttp.Header("X-Cursor")}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), retry, pager.PageSize(20))
		}},
		{"POST body", func(u string, c *http.Client) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Notion + "db/query", Client: c, Body: `{}`, LimitParam: "page_size",
				Items: "results", Cursor: pagerhttp.BodyField("next_cursor"), SendCursor: pagerhttp.BodyField("start_cursor")}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), retry, pager.PageSize(20))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := sim(t, apisim.Config{N: n, Seed: 5, Faults: faults})
			got, err := pager.Collect(pager.All(context.Background(), tt.src(s.URL, client(t))))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(recs(1, n), got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if st := s.Stats(); st.Truncated == 0 || st.TooMany+st.ServerErrors+st.Resets == 0 {
				t.Errorf("faults injected: %+v, want truncated bodies and others", st)
			}
		})
	}
}

func TestGraphQLFaultsRetried(t *testing.T) {
	const n = 300
	s := sim(t, apisim.Config{N: n, Seed: 5, Faults: apisim.Faults{TooMany: 0.1, ServerError: 0.1, Reset: 0.05, Truncate: 0.2}})
	ep := pagerhttp.Endpoint{URL: s.URL + apisim.GraphQL, Client: client(t), Items: "data.repository.issues"}
	fetch := pagerhttp.GraphQLFetch[issue](ep, issuesQuery, map[string]any{"owner": "pagerseq", "name": "pager"})
	retry := pager.Retry(pager.RetryPolicy{Attempts: 20, MinDelay: time.Microsecond, MaxDelay: time.Microsecond})
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(fetch, retry, pager.PageSize(20))))
	if err != nil {
		t.Fatal(err)
	}
	for i, is := range got {
		if is.Number != i+1 {
			t.Fatalf("got issue %d at %d, want %d", is.Number, i, i+1)
		}
	}
	if len(got) != n || s.Stats().Truncated == 0 {
		t.Errorf("got %d issues and %+v, want %d and truncated bodies among the faults", len(got), s.Stats(), n)
	}
}
