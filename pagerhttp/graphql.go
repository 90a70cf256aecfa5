package pagerhttp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pagerseq/pager"
)

// GraphQLFetch returns a FetchFunc for [pager.Token] over a GraphQL
// connection, as Relay's cursor connections specify and GitHub's API
// serves them. Each request POSTs {"query": query, "variables": vars}
// with two variables added: the page size as e.LimitParam (default
// "first") and, after the first page, the cursor as e.TokenParam
// (default "after"); the query declares them:
//
//	query($owner: String!, $first: Int!, $after: String) {
//	  repository(owner: $owner, name: "pager") {
//	    issues(first: $first, after: $after) {
//	      nodes { number title }
//	      pageInfo { endCursor hasNextPage }
//	    }
//	  }
//	}
//
// e.Items is the dotted path of the connection in the answer
// ("data.repository.issues"); its items are its "nodes", or the "node" of
// each of its "edges", but for null ones (GitHub's, for what the viewer
// may not see). The walk ends after a page whose
// pageInfo.hasNextPage is false or whose pageInfo.endCursor is null.
//
// An answer with "errors" is a [*GraphQLError], even with status 200 and
// some data; it is not retried. GraphQLFetch panics if e.URL is not a
// valid URL, e.Items is "", or vars cannot be marshaled to JSON.
func GraphQLFetch[T any](e Endpoint, query string, vars map[string]any) pager.FetchFunc[T] {
	if e.Items == "" {
		panic("pagerhttp: GraphQLFetch with no Endpoint.Items: set it to the connection's path, as data.repository.issues")
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(fmt.Sprintf("pagerhttp: GraphQLFetch with variables that do not marshal: %v", err))
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&e.LimitParam, "first")
	def(&e.TokenParam, "after")
	e.Body = string(body)
	e.LimitParam = "variables." + e.LimitParam
	e.SendCursor = BodyField("variables." + e.TokenParam)
	e.Cursor = BodyField(e.Items + ".pageInfo.endCursor")
	e.HasMore = e.Items + ".pageInfo.hasNextPage"
	return cursorFetch[T](newCursorClient(e, "GraphQLFetch", params{}, dialect{graphQL: true}))
}

// A GraphQLError reports the "errors" of a GraphQL answer. It is not
// retried.
type GraphQLError struct {
	URL      string
	Messages []string // each error's "message"
}

func (e *GraphQLError) Error() string {
	return fmt.Sprintf("pagerhttp: %s: GraphQL errors: %s", e.URL, strings.Join(e.Messages, "; "))
}

// Retryable reports false: the same query gets the same errors.
func (e *GraphQLError) Retryable() bool { return false }

// graphQLItems finishes the decoding of a GraphQL answer that
// scanCursorBody scanned for the connection at conn, with the outcome err:
// it reports the answer's errors, if any, as a *GraphQLError without its
// URL; else, if the connection had no nodes, it decodes its edges' nodes,
// leaving out null ones, into *items.
func graphQLItems[T any](conn string, body []byte, err error, b cursorBody, nodes bool, items *[]T) error {
	errs := *b.fields["errors"]
	if err != nil { // the scan stopped short: look for errors on their own
		var answer struct{ Errors json.RawMessage }
		_ = json.Unmarshal(body, &answer)
		errs = answer.Errors
	}
	var list []struct{ Message string }
	if json.Unmarshal(errs, &list) == nil && len(list) > 0 {
		e := &GraphQLError{}
		for _, m := range list {
			e.Messages = append(e.Messages, m.Message)
		}
		return e
	}
	if err != nil {
		return fmt.Errorf("decoding the body: %w", err)
	}
	if nodes {
		return nil
	}
	raw, ok := b.get(conn + ".edges")
	if !ok {
		var obj map[string]json.RawMessage
		_ = json.Unmarshal(body, &obj)
		if raw, ok := field(obj, conn); !ok || isNull(raw) {
			return fmt.Errorf("the answer has no connection at %q", conn)
		}
		return fmt.Errorf("the connection at %q has neither nodes nor edges: select one of them", conn)
	}
	var edges []struct{ Node *T }
	if err := json.Unmarshal(raw, &edges); err != nil {
		return fmt.Errorf("decoding the connection at %q: %w", conn, err)
	}
	*items = make([]T, 0, len(edges))
	for _, e := range edges {
		if e.Node != nil {
			*items = append(*items, *e.Node)
		}
	}
	return nil
}
