package apisim_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// post sends body to path on s and returns the status and the body.
func post(t *testing.T, s *apisim.Server, path, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestStyleQuirks checks the quirks of the imitated APIs that a client
// must meet.
func TestStyleQuirks(t *testing.T) {
	s := start(t, apisim.Config{N: 250})
	tests := []struct {
		label      string
		path       string
		header     []string
		wantStatus int
		wantHeader [2]string // name, value; "" for none
		wantBody   string    // a part of it
		reason     string
	}{
		{"DRF past the end", apisim.DRF + "?page=99", nil, 404, [2]string{}, `"detail":"Invalid page."`, "DRF answers a page past the end 404"},
		{"DRF next", apisim.DRF + "?page=2&page_size=100", nil, 200, [2]string{}, `"next":"` + s.URL + apisim.DRF + `?page=3\u0026page_size=100"`, "absolute next URLs"},
		{"DRF last", apisim.DRF + "?page=3&page_size=100", nil, 200, [2]string{}, `"next":null`, "null on the last page"},
		{"JSON:API link objects", apisim.JSONAPI + "?page%5Bnumber%5D=1&page%5Bsize%5D=50", nil, 200, [2]string{}, `"next":{"href":"/jsonapi/records?page%5Bnumber%5D=2\u0026page%5Bsize%5D=50"}`, "relative links in link objects"},
		{"HAL from 0", apisim.HAL + "?page=0&size=200", nil, 200, [2]string{}, `"next":{"href":"` + s.URL + apisim.HAL + `?page=1\u0026size=200"}`, "Spring counts pages from 0"},
		{"Salesforce batch", apisim.Salesforce + "?q=SELECT+Id+FROM+Record__c", []string{"Sforce-Query-Options", "batchSize=200"}, 200, [2]string{}, `"nextRecordsUrl":"/services/data/v58.0/query/01gRO0000016PIAYA2-200"`, "a relative next URL"},
		{"json-server next number", apisim.JSONServer + "?_page=2&_per_page=100", nil, 200, [2]string{}, `"next":3`, "a page number, not a URL"},
		{"PostgREST range", apisim.PostgREST + "?limit=100&offset=100", []string{"Prefer", "count=exact"}, 206, [2]string{"Content-Range", "100-199/250"}, `"id":101`, "a part of the listing, with its total"},
		{"PostgREST no count", apisim.PostgREST + "?limit=100", nil, 200, [2]string{"Content-Range", "0-99/*"}, `"id":1`, "no total without Prefer: count=exact"},
		{"PostgREST past the end", apisim.PostgREST + "?limit=100&offset=300", []string{"Prefer", "count=exact"}, 416, [2]string{"Content-Range", "*/250"}, `PGRST103`, "an offset past the end is a 416"},
		{"json-server 0.17 total", apisim.JSONServer017 + "?_start=10&_limit=5", nil, 200, [2]string{"X-Total-Count", "250"}, `"id":11`, "the total in a header"},
		{"Stripe newest first", apisim.Stripe + "?limit=2", nil, 200, [2]string{}, `"has_more":true,"object":"list","url":"/v1/charges"`, "has_more"},
		{"Stripe bad cursor", apisim.Stripe + "?starting_after=ch_x", nil, 400, [2]string{}, "No such charge", "an unknown id is a 400"},
		{"Nomad inclusive token", apisim.Nomad + "?per_page=10", nil, 200, [2]string{"X-Nomad-NextToken", "job-000011"}, `"ID":"job-000001"`, "the token is the next page's first job"},
		{"cursor header", apisim.Cursors + "?limit=100", nil, 200, [2]string{"X-Next-Cursor", "b2ZmOjEwMA"}, `"id":100`, "the next cursor in a header"},
		{"Azure partition end", "/records()?$top=40&NextPartitionKey=p0000&NextRowKey=000081", nil, 200, [2]string{"X-Ms-Continuation-Nextrowkey", "~"}, `"RowKey":"000100"`, "a page ends at its partition's end"},
		{"Azure empty page", "/records()?NextPartitionKey=p0000&NextRowKey=~", nil, 200, [2]string{"X-Ms-Continuation-Nextrowkey", "000101"}, `"value":[]`, "an empty page with a continuation"},
		{"CouchDB caught up", apisim.Changes + "?since=250-g1AAAAbm9kZTE6MjUw", nil, 200, [2]string{}, `"last_seq":"250-g1AAAAbm9kZTE6MjUw","pending":0,"results":[]`, "caught up: the since asked with"},
		{"CouchDB 1.x caught up", apisim.Changes1 + "?since=250", nil, 200, [2]string{}, `{"last_seq":250,"results":[]}`, "no pending"},
		{"Slack last page", apisim.Slack + "?cursor=dGVhbTpDMDAwMjAx", nil, 200, [2]string{}, `"response_metadata":{"next_cursor":""}`, "next_cursor is empty, not absent"},
		{"Slack bad cursor", apisim.Slack + "?cursor=x", nil, 200, [2]string{}, `{"error":"invalid_cursor","ok":false}`, "an error in a 200"},
	}
	for _, tt := range tests {
		status, h, body := get(t, s, tt.path, tt.header...)
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) || (tt.wantHeader[0] != "" && h.Get(tt.wantHeader[0]) != tt.wantHeader[1]) {
			t.Errorf("%s: GET %s: got %d %v %s, want %d, %v and %s: %s", tt.label, tt.path, status, h, body, tt.wantStatus, tt.wantHeader, tt.wantBody, tt.reason)
		}
	}
}

func TestPostQuirks(t *testing.T) {
	s := start(t, apisim.Config{N: 150})
	tests := []struct {
		label, path, body string
		wantStatus        int
		wantBody          string
		reason            string
	}{
		{"GraphQL first too large", apisim.GraphQL, `{"query": "{}", "variables": {"first": 101}}`, 200, `"errors":[{"message":`, "errors in a 200 answer"},
		{"GraphQL bad cursor", apisim.GraphQL, `{"query": "{}", "variables": {"first": 1, "after": "x"}}`, 200, "does not appear to be a valid cursor", "errors in a 200 answer"},
		{"GraphQL edges", apisim.GraphQL, `{"query": "{ edges { node { number } } }", "variables": {"first": 100}}`, 200, `"hasNextPage":true`, "pageInfo"},
		{"GraphQL last page", apisim.GraphQL, `{"query": "{}", "variables": {"first": 100, "after": "Y3Vyc29yOnYyOjEwMA=="}}`, 200, `"endCursor":"Y3Vyc29yOnYyOjE1MA==","hasNextPage":false`, "hasNextPage false"},
		{"Notion bad cursor", apisim.Notion + "db/query", `{"start_cursor": "x"}`, 400, "should be a valid uuid", "a 400"},
		{"Notion last page", apisim.Notion + "db/query", `{"start_cursor": "00000000-0000-0000-0000-000000000101"}`, 200, `"has_more":false,"next_cursor":null`, "null next_cursor"},
		{"Elasticsearch sort", apisim.Search, `{"size": 1, "search_after": [0, 149]}`, 200, `"sort":[1767234540000,150]`, "the sort values of each hit"},
		{"Elasticsearch bad search_after", apisim.Search, `{"search_after": [1]}`, 400, "2 values", "one value per sort field"},
	}
	for _, tt := range tests {
		status, body := post(t, s, tt.path, tt.body)
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
			t.Errorf("%s: POST %s %s: got %d %s, want %d and %s: %s", tt.label, tt.path, tt.body, status, body, tt.wantStatus, tt.wantBody, tt.reason)
		}
	}
	if status, _ := post(t, s, apisim.Runs, `{}`); status != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: got %d, want 405: only the POST endpoints take POST", apisim.Runs, status)
	}
}
