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

// graphQLErrors returns a *GraphQLError, without its URL, if obj, a
// GraphQL answer, has errors.
func graphQLErrors(obj map[string]json.RawMessage) error {
	var errs []struct{ Message string }
	if json.Unmarshal(obj["errors"], &errs) != nil || len(errs) == 0 {
		return nil
	}
	e := &GraphQLError{}
	for _, m := range errs {
		e.Messages = append(e.Messages, m.Message)
	}
	return e
}

// connectionItems returns the items of the connection at path in obj: its
// nodes, or its edges' nodes, leaving out those that are null.
func connectionItems(obj map[string]json.RawMessage, path string) (map[string]json.RawMessage, json.RawMessage, error) {
	raw, ok := field(obj, path)
	var conn struct {
		Nodes []json.RawMessage
		Edges []struct{ Node json.RawMessage }
	}
	if !ok || isNull(raw) {
		return nil, nil, fmt.Errorf("the answer has no connection at %q", path)
	}
	if err := json.Unmarshal(raw, &conn); err != nil {
		return nil, nil, fmt.Errorf("decoding the connection at %q: %w", path, err)
	}
	if conn.Nodes == nil && conn.Edges == nil {
		return nil, nil, fmt.Errorf("the connection at %q has neither nodes nor edges: select one of them", path)
	}
	for _, edge := range conn.Edges {
		conn.Nodes = append(conn.Nodes, edge.Node)
	}
	nodes := conn.Nodes[:0]
	for _, node := range conn.Nodes {
		if node != nil && !isNull(node) {
			nodes = append(nodes, node)
		}
	}
	items, err := json.Marshal(nodes)
	return obj, items, err
}
