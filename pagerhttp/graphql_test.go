package pagerhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// issue is a GitHub issue, as a GraphQL query selects it.
type issue struct {
	Number int
	Title  string
}

func issueNumber(i issue) int { return i.Number }

const (
	issuesQuery = `query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: $first, after: $after) {
      nodes { number title }
      pageInfo { endCursor hasNextPage }
    }
  }
}`
	issueEdgesQuery = `query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: $first, after: $after) {
      edges { cursor node { number title } }
      pageInfo { endCursor hasNextPage }
    }
  }
}`
)

func TestGraphQL(t *testing.T) {
	for _, tt := range []struct{ label, query string }{{"nodes", issuesQuery}, {"edges", issueEdgesQuery}} {
		t.Run(tt.label, func(t *testing.T) {
			checkStyle(t, style[issue]{n: 57, id: issueNumber,
				src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[issue] {
					ep := pagerhttp.Endpoint{URL: u + apisim.GraphQL, Client: c, Items: "data.repository.issues"}
					fetch := pagerhttp.GraphQLFetch[issue](ep, tt.query, map[string]any{"owner": "pagerseq", "name": "pager"})
					return pager.Token(fetch, append(opts, pager.PageSize(10))...)
				}})
		})
	}
}

// TestGraphQLErrors asks for more than GitHub allows: the answer, a 200,
// has errors and no data, a *GraphQLError not retried, not an empty page.
func TestGraphQLErrors(t *testing.T) {
	s := sim(t, apisim.Config{N: 10})
	ep := pagerhttp.Endpoint{URL: s.URL + apisim.GraphQL, Client: client(t), Items: "data.repository.issues"}
	fetch := pagerhttp.GraphQLFetch[issue](ep, issuesQuery, map[string]any{"owner": "pagerseq", "name": "pager"})
	retry := pager.Retry(pager.RetryPolicy{Attempts: 3, MinDelay: time.Microsecond})
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(fetch, pager.PageSize(500), retry)))
	var ge *pagerhttp.GraphQLError
	if len(got) != 0 || !errors.As(err, &ge) || len(ge.Messages) != 1 {
		t.Fatalf("got %v and %v, want no items and a *GraphQLError with one message", got, err)
	}
	if n := s.Stats().Requests; n != 1 {
		t.Errorf("got %d requests, want 1: a GraphQL error is not retried", n)
	}
}

// TestGraphQLNullNodes walks a connection with null nodes, as GitHub
// sends for items the viewer may not see: they are left out.
func TestGraphQLNullNodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data": {"search": {"nodes": [{"number": 1}, null, {"number": 3}],
			"pageInfo": {"endCursor": "Y3Vyc29yOjM=", "hasNextPage": false}}}}`))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL, Items: "data.search"}
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.GraphQLFetch[issue](ep, "{}", nil))))
	if err != nil || len(got) != 2 || got[0].Number != 1 || got[1].Number != 3 {
		t.Errorf("got %v and %v, want issues 1 and 3", got, err)
	}
}
