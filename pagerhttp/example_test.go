package pagerhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// Repo is an item of the example listings.
type Repo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// repos is the example listing.
var repos = []Repo{{1, "ada"}, {2, "bob"}, {3, "cy"}, {4, "dee"}, {5, "eve"}}

// listRepos answers /repos?limit=&offset= with {"repos": [...], "total": 5},
// clamping the limit to 2, and /gh/repos?per_page=&page= with a bare array
// and a Link header to the next page, as GitHub does.
func listRepos(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/gh/repos" {
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		start, end := min((page-1)*2, len(repos)), min(page*2, len(repos))
		if end < len(repos) {
			w.Header().Set("Link", fmt.Sprintf(`</gh/repos?page=%d&per_page=2>; rel="next"`, page+1))
		}
		json.NewEncoder(w).Encode(repos[start:end])
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	start := min(offset, len(repos))
	end := min(start+min(limit, 2), len(repos))
	json.NewEncoder(w).Encode(map[string]any{"repos": repos[start:end], "total": len(repos)})
}

func ExampleEndpoint() {
	srv := httptest.NewServer(http.HandlerFunc(listRepos))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:    srv.URL + "/repos",
		Header: http.Header{"Authorization": {"Bearer s3cret"}},
		Items:  "repos", // {"repos": [...], "total": 5}
	}
	src := pager.Offset(pagerhttp.OffsetFetch[Repo](ep), pager.PageSize(100))
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

func ExampleLink() {
	srv := httptest.NewServer(http.HandlerFunc(listRepos))
	defer srv.Close()

	ep := pagerhttp.Endpoint{
		URL:    srv.URL + "/gh/repos",
		Header: http.Header{"Authorization": {"Bearer s3cret"}},
	}
	for p, err := range pagerhttp.Link[Repo](ep, pager.PageSize(2)).Pages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(p.Offset, p.Items)
	}
	// Output:
	// 0 [{1 ada} {2 bob}]
	// 2 [{3 cy} {4 dee}]
	// 4 [{5 eve}]
}
