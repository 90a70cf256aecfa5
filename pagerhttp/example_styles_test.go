package pagerhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// page returns the repos on page number page (from 1) of size repos,
// and whether more follow.
func page(n, size int) ([]Repo, bool) {
	start, end := min((n-1)*size, len(repos)), min(n*size, len(repos))
	return repos[start:end], end < len(repos)
}

func ExampleNextURL() {
	// A Django REST framework listing: {"count", "next", "previous", "results"}.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		results, more := page(max(n, 1), 2)
		var next any
		if more {
			next = fmt.Sprintf("http://%s/repos/?page=%d", r.Host, max(n, 1)+1)
		}
		json.NewEncoder(w).Encode(map[string]any{"count": len(repos), "next": next, "previous": nil, "results": results})
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{URL: srv.URL + "/repos/", Items: "results"} // next URL in "next"
	for repo, err := range pager.All(context.Background(), pagerhttp.NextURL[Repo](ep)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
}

func ExampleOffsetFetch_totalInHeader() {
	// json-server 0.17: a bare array, and the total in X-Total-Count.
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		start, _ := strconv.Atoi(r.URL.Query().Get("_start"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("_limit"))
		start = min(start, len(repos))
		w.Header().Set("X-Total-Count", strconv.Itoa(len(repos)))
		json.NewEncoder(w).Encode(repos[start:min(start+limit, len(repos))])
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{URL: srv.URL + "/repos", OffsetParam: "_start", LimitParam: "_limit"}
	src := pager.Offset(pagerhttp.OffsetFetch[Repo](ep), pager.PageSize(2))
	for repo, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	fmt.Println(requests.Load(), "requests") // no empty page asked for past the total
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
	// 3 requests
}

func ExampleTokenFetch_keyset() {
	// Stripe: ?limit=&starting_after=<the last item's id>, and has_more.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.Atoi(r.URL.Query().Get("starting_after"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		data, more := repos[after:min(after+limit, len(repos))], after+limit < len(repos)
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "has_more": more})
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:        srv.URL + "/v1/repos",
		Items:      "data",
		LimitParam: "limit",
		Cursor:     pagerhttp.LastItem("id"),
		SendCursor: pagerhttp.Query("starting_after"),
	}
	src := pager.Token(pagerhttp.TokenFetch[Repo](ep), pager.PageSize(2))
	for p, err := range src.Pages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q %v\n", p.Token, p.Items)
	}
	// Output:
	// "" [{1 ada} {2 bob}]
	// "2" [{3 cy} {4 dee}]
	// "4" [{5 eve}]
}

func ExampleHeader() {
	// The next page's cursor in the response header X-Next-Cursor, sent
	// back in the request header X-Cursor.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.Header.Get("X-Cursor"))
		items, more := page(max(n, 1), 2)
		if more {
			w.Header().Set("X-Next-Cursor", strconv.Itoa(max(n, 1)+1))
		}
		json.NewEncoder(w).Encode(items)
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:        srv.URL + "/repos",
		Cursor:     pagerhttp.Header("X-Next-Cursor"),
		SendCursor: pagerhttp.Header("X-Cursor"),
	}
	for repo, err := range pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[Repo](ep))) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
}

func ExampleChangesFetch() {
	// CouchDB's _changes: ?since=&limit= answered with {"results",
	// "last_seq", "pending"}.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since, _ := strconv.Atoi(r.URL.Query().Get("since"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var results []map[string]any
		for _, repo := range repos[min(since, len(repos)):min(since+limit, len(repos))] {
			results = append(results, map[string]any{"seq": repo.ID, "id": repo.Name})
		}
		last := since + len(results)
		json.NewEncoder(w).Encode(map[string]any{"results": results, "last_seq": last, "pending": len(repos) - last})
	}))
	defer srv.Close()

	type Change struct {
		Seq int    `json:"seq"`
		ID  string `json:"id"`
	}
	ep := pagerhttp.Endpoint{URL: srv.URL + "/db/_changes"}
	src := pager.Token(pagerhttp.ChangesFetch[Change](ep), pager.PageSize(2))
	for p, err := range src.Pages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("since=%q %v\n", p.Token, p.Items)
	}
	fmt.Println("caught up")
	// Output:
	// since="" [{1 ada} {2 bob}]
	// since="2" [{3 cy} {4 dee}]
	// since="4" [{5 eve}]
	// caught up
}

func ExampleGraphQLFetch() {
	// A GraphQL connection, as GitHub's API serves it.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				First int
				After string
			}
		}
		json.NewDecoder(r.Body).Decode(&req)
		n, _ := strconv.Atoi(req.Variables.After)
		nodes, more := page(n+1, req.Variables.First)
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"viewer": map[string]any{"repositories": map[string]any{
			"nodes":    nodes,
			"pageInfo": map[string]any{"endCursor": strconv.Itoa(n + 1), "hasNextPage": more},
		}}}})
	}))
	defer srv.Close()

	const query = `query($first: Int!, $after: String) {
  viewer { repositories(first: $first, after: $after) {
    nodes { id name }
    pageInfo { endCursor hasNextPage }
  } }
}`
	ep := pagerhttp.Endpoint{URL: srv.URL + "/graphql", Items: "data.viewer.repositories"}
	src := pager.Token(pagerhttp.GraphQLFetch[Repo](ep, query, nil), pager.PageSize(2))
	for repo, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
}

func ExampleBodyField() {
	// Notion: POST {"start_cursor", "page_size", …} answered with
	// {"results", "next_cursor", "has_more"}.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			StartCursor string `json:"start_cursor"`
			PageSize    int    `json:"page_size"`
			Sorts       []any
		}
		json.NewDecoder(r.Body).Decode(&req)
		n, _ := strconv.Atoi(req.StartCursor)
		results, more := page(max(n, 1), req.PageSize)
		var next any
		if more {
			next = strconv.Itoa(max(n, 1) + 1)
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "results": results, "next_cursor": next, "has_more": more})
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:        srv.URL + "/v1/databases/d9824bdc/query",
		Body:       `{"sorts": [{"property": "Name", "direction": "ascending"}]}`,
		LimitParam: "page_size",
		Items:      "results",
		Cursor:     pagerhttp.BodyField("next_cursor"),
		SendCursor: pagerhttp.BodyField("start_cursor"),
	}
	src := pager.Token(pagerhttp.TokenFetch[Repo](ep), pager.PageSize(2))
	for repo, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
}

func ExampleHeader_several() {
	// Azure Table storage: the continuation in two response headers, sent
	// back as two query parameters.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		row, _ := strconv.Atoi(r.URL.Query().Get("NextRowKey"))
		value, more := page(max(row, 1), 2)
		if more {
			w.Header().Set("x-ms-continuation-NextPartitionKey", "repos")
			w.Header().Set("x-ms-continuation-NextRowKey", strconv.Itoa(max(row, 1)+1))
		}
		json.NewEncoder(w).Encode(map[string]any{"value": value})
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:        srv.URL + "/repos()",
		LimitParam: "$top",
		Items:      "value",
		Cursor:     pagerhttp.Header("x-ms-continuation-NextPartitionKey", "x-ms-continuation-NextRowKey"),
		SendCursor: pagerhttp.Query("NextPartitionKey", "NextRowKey"),
	}
	src := pager.Token(pagerhttp.TokenFetch[Repo](ep), pager.PageSize(2))
	for p, err := range src.Pages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q %v\n", p.Token, p.Items)
	}
	// Output:
	// "" [{1 ada} {2 bob}]
	// "NextPartitionKey=repos&NextRowKey=2" [{3 cy} {4 dee}]
	// "NextPartitionKey=repos&NextRowKey=3" [{5 eve}]
}

func ExampleTokenFetch_nested() {
	// Slack: the cursor nested in response_metadata, "" on the last page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		channels, more := page(max(n, 1), limit)
		next := ""
		if more {
			next = strconv.Itoa(max(n, 1) + 1)
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channels": channels,
			"response_metadata": map[string]any{"next_cursor": next}})
	}))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:        srv.URL + "/api/conversations.list",
		Items:      "channels",
		NextToken:  "response_metadata.next_cursor",
		TokenParam: "cursor",
		LimitParam: "limit",
	}
	src := pager.Token(pagerhttp.TokenFetch[Repo](ep), pager.PageSize(2))
	for repo, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(repo.ID, repo.Name)
	}
	// Output:
	// 1 ada
	// 2 bob
	// 3 cy
	// 4 dee
	// 5 eve
}
