package apisim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The endpoints of the pagination styles of real APIs beyond the seed
// ones, each imitating one API's shape and quirks. Records keep their ids
// 1 to N; each endpoint dresses them as its API would.
const (
	// DRF is Django REST framework's PageNumberPagination: ?page=&page_size=
	// (default 10, max 100) answered with {"count", "next", "previous",
	// "results"}, next and previous absolute URLs or null. A page past the
	// end is a 404 {"detail": "Invalid page."}.
	DRF = "/drf/records/"
	// JSONAPI is JSON:API: ?page[number]=&page[size]= (default 10, max 50)
	// answered with {"data": [{"type", "id", "attributes"}], "links":
	// {"self", "first", "prev", "next", "last"}, "meta": {"total"}}; links
	// are link objects ({"href": …}) with relative URLs, and null when
	// there is none.
	JSONAPI = "/jsonapi/records"
	// HAL is Spring Data REST's HAL: ?page=&size= (pages from 0, size
	// default 20) answered with {"_embedded": {"records": [...]},
	// "_links": {"self", "next"…: {"href"}}, "page": {…}}; no next link on
	// the last page.
	HAL = "/hal/records"
	// OData is Microsoft Graph's OData: ?$top= (default 100, max 999)
	// answered with {"@odata.context", "value": [...], "@odata.nextLink"},
	// the next link absolute, with a $skiptoken, absent on the last page.
	OData = "/odata/records"
	// Salesforce is Salesforce's SOQL query: ?q=… answered with
	// {"totalSize", "done", "nextRecordsUrl", "records"}, the next URL a
	// path (/services/data/v58.0/query/01gRO…-200), absent when done. The
	// batch size is the request header Sforce-Query-Options: batchSize=
	// (200 to 2000, default 2000).
	Salesforce = "/services/data/v58.0/query"
	// JSONServer is json-server 1.0: ?_page=&_per_page= (default 10)
	// answered with {"first", "prev", "next", "last", "pages", "items",
	// "data"}, next a page number, null on the last page.
	JSONServer = "/jsonserver/records"

	// JSONServer017 is json-server 0.17: ?_start=&_limit= (or
	// ?_page=&_limit=) answered with a bare array and X-Total-Count.
	JSONServer017 = "/v017/records"
	// PostgREST is PostgREST: ?limit=&offset= answered with a bare array
	// and Content-Range: 0-99/1234 when asked with Prefer: count=exact
	// (0-99/* otherwise), 206 for a part of the listing; an offset past
	// the end is a 416.
	PostgREST = "/rest/records"

	// Stripe is Stripe's list API: ?limit= (1–100, default 10)
	// &starting_after=<id> answered with {"object": "list", "url",
	// "has_more", "data"}, newest first, ids "ch_000042".
	Stripe = "/v1/charges"
	// Since is GitHub's /users: ?since=<id>&per_page= (default 30, max
	// 100) answered with a bare array of the records with greater ids; an
	// empty page is the end.
	Since = "/users"
	// After is a keyset on created_at: ?after=<created_at>&limit=
	// (default 25, max 100) answered with {"posts": [...]}; an empty page
	// is the end.
	After = "/posts"

	// Cursors is a cursor in headers: ?limit= (default 25, max 100) and
	// the cursor as ?cursor= or the request header X-Cursor, answered
	// with a bare array and the next cursor in X-Next-Cursor, absent on
	// the last page.
	Cursors = "/cursor/records"
	// Nomad is HashiCorp Nomad's /v1/jobs: ?per_page=&next_token= answered
	// with a bare array ({"ID", "Name", …}) and X-Nomad-NextToken, the ID
	// of the next page's first job (the token is inclusive), absent on
	// the last page.
	Nomad = "/v1/jobs"

	// Changes is CouchDB 2+'s _changes: ?since=&limit= answered with
	// {"results": [{"seq", "id", "changes"}], "last_seq", "pending"}, seqs
	// opaque strings. Caught up, it answers no results, last_seq = since
	// and pending 0.
	Changes = "/db/_changes"
	// Changes1 is CouchDB 1.x's _changes: integer seqs, no "pending".
	Changes1 = "/db1/_changes"

	// GraphQL is GitHub's GraphQL API, POST {"query", "variables"}: a
	// repository's issues connection, data.repository.issues, with
	// first (1–100) and after; its items are nodes, or edges of nodes if
	// the query says "edges". A first over 100 is answered 200 with
	// "errors" and no data.
	GraphQL = "/graphql"

	// Notion is Notion's database query, POST /v1/databases/<id>/query
	// with {"start_cursor", "page_size"} (1–100, default 100) answered with
	// {"object": "list", "results", "next_cursor", "has_more"}.
	Notion = "/v1/databases/"
	// Search is Elasticsearch's _search with search_after: POST {"size",
	// "sort", "search_after"} answered with {"hits": {"total", "hits":
	// [{"_id", "_source", "sort": [created_at millis, id]}]}}.
	Search = "/logs/_search"

	// Azure is Azure Table storage: ?$top= (default and max 1000) answered
	// with {"value": [{"PartitionKey", "RowKey", …}]} and the headers
	// x-ms-continuation-NextPartitionKey and -NextRowKey, sent back as
	// ?NextPartitionKey=&NextRowKey=. A page may end at a partition's end
	// (100 records each), shorter than $top, and may be empty with a
	// continuation.
	Azure = "/records()"

	// Slack is Slack's cursor pagination: ?limit= (default 100, max 1000)
	// &cursor= answered with {"ok": true, "channels": [...],
	// "response_metadata": {"next_cursor"}}, next_cursor "" on the last
	// page.
	Slack = "/api/conversations.list"
)

// posted reports whether path is an endpoint that takes POST.
func posted(path string) bool {
	return path == GraphQL || path == Search || strings.HasPrefix(path, Notion)
}

// serveStyle answers a request for one of the endpoints of styles.go, and
// reports whether path is one.
func (s *Server) serveStyle(resp *response, r *http.Request) bool {
	handlers := map[string]func(*response, *http.Request){
		DRF: s.serveDRF, JSONAPI: s.serveJSONAPI, HAL: s.serveHAL, OData: s.serveOData,
		JSONServer: s.serveJSONServer, JSONServer017: s.serveJSONServer017, PostgREST: s.servePostgREST,
		Stripe: s.serveStripe, Since: s.serveSince, After: s.serveAfter, Cursors: s.serveCursors,
		Nomad: s.serveNomad, Changes: s.serveChanges, Changes1: s.serveChanges, GraphQL: s.serveGraphQL,
		Search: s.serveSearch, Azure: s.serveAzure, Slack: s.serveSlack,
	}
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, Salesforce):
		s.serveSalesforce(resp, r)
	case strings.HasPrefix(path, Notion) && strings.HasSuffix(path, "/query"):
		s.serveNotion(resp, r)
	case handlers[path] != nil:
		handlers[path](resp, r)
	default:
		return false
	}
	return true
}

// records returns the records at [off, off+n) and the listing's length.
func (s *Server) records(off, n int) ([]Record, int) {
	ids, total := s.window(off, n, dice{}, false)
	recs := make([]Record, len(ids))
	for i, id := range ids {
		recs[i] = s.Record(id)
	}
	return recs, total
}

func (resp *response) encode(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	resp.json(b)
}

// absURL returns the URL of r on s with the query parameters set.
func (s *Server) absURL(r *http.Request, set map[string]string) string {
	q := r.URL.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	return s.URL + r.URL.Path + "?" + q.Encode()
}

func badParam(w http.ResponseWriter, msg string) { writeError(w, http.StatusBadRequest, msg) }

func (s *Server) serveDRF(resp *response, r *http.Request) {
	page, ok1 := intParam(r, "page", 1, 1, 0)
	size, ok2 := intParam(r, "page_size", 10, 1, 100)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad page or page_size")
		return
	}
	recs, total := s.records((page-1)*size, size)
	if len(recs) == 0 && page > 1 {
		resp.w.Header().Set("Content-Type", "application/json")
		resp.w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(resp.w, `{"detail":"Invalid page."}`)
		return
	}
	var next, prev any
	if page*size < total {
		next = s.absURL(r, map[string]string{"page": strconv.Itoa(page + 1)})
	}
	if page > 1 {
		prev = s.absURL(r, map[string]string{"page": strconv.Itoa(page - 1)})
	}
	resp.encode(map[string]any{"count": total, "next": next, "previous": prev, "results": recs})
}

func (s *Server) serveJSONAPI(resp *response, r *http.Request) {
	page, ok1 := intParam(r, "page[number]", 1, 1, 0)
	size, ok2 := intParam(r, "page[size]", 10, 1, 50)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad page[number] or page[size]")
		return
	}
	recs, total := s.records((page-1)*size, size)
	type resource struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes Record `json:"attributes"`
	}
	data := make([]resource, len(recs))
	for i, rec := range recs {
		data[i] = resource{"records", strconv.Itoa(rec.ID), rec}
	}
	last := max((total+size-1)/size, 1)
	link := func(p int, ok bool) any {
		if !ok {
			return nil
		}
		q := url.Values{"page[number]": {strconv.Itoa(p)}, "page[size]": {strconv.Itoa(size)}}
		return map[string]string{"href": JSONAPI + "?" + q.Encode()}
	}
	resp.w.Header().Set("Content-Type", "application/vnd.api+json")
	resp.encode(map[string]any{
		"data": data,
		"links": map[string]any{"self": link(page, true), "first": link(1, true), "last": link(last, true),
			"prev": link(page-1, page > 1), "next": link(page+1, page < last)},
		"meta": map[string]int{"total": total},
	})
}

func (s *Server) serveHAL(resp *response, r *http.Request) {
	page, ok1 := intParam(r, "page", 0, 0, 0)
	size, ok2 := intParam(r, "size", 20, 1, 2000)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad page or size")
		return
	}
	recs, total := s.records(page*size, size)
	pages := (total + size - 1) / size
	links := map[string]any{"self": map[string]string{"href": s.absURL(r, nil)}}
	if page+1 < pages {
		links["next"] = map[string]string{"href": s.absURL(r, map[string]string{"page": strconv.Itoa(page + 1), "size": strconv.Itoa(size)})}
	}
	resp.w.Header().Set("Content-Type", "application/hal+json")
	resp.encode(map[string]any{
		"_embedded": map[string]any{"records": recs},
		"_links":    links,
		"page":      map[string]int{"size": size, "totalElements": total, "totalPages": pages, "number": page},
	})
}

func (s *Server) serveOData(resp *response, r *http.Request) {
	top, ok1 := intParam(r, "$top", 100, 1, 999)
	off := 0
	if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "skip:"))
		if err != nil || err2 != nil || n < 0 {
			badParam(resp.w, "invalid $skiptoken")
			return
		}
		off = n
	}
	if !ok1 {
		badParam(resp.w, "bad $top")
		return
	}
	recs, total := s.records(off, top)
	body := map[string]any{"@odata.context": s.URL + "/odata/$metadata#records", "value": recs}
	if end := off + len(recs); end < total {
		q := url.Values{"$top": {strconv.Itoa(top)}, "$skiptoken": {base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "skip:%d", end))}}
		body["@odata.nextLink"] = s.URL + OData + "?" + q.Encode()
	}
	resp.encode(body)
}

func (s *Server) serveSalesforce(resp *response, r *http.Request) {
	batch := 2000
	if opt, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if n, err := strconv.Atoi(opt); err == nil {
			batch = min(max(n, 200), 2000)
		}
	}
	off := 0
	if locator, ok := strings.CutPrefix(r.URL.Path, Salesforce+"/"); ok {
		_, n, found := strings.Cut(locator, "-")
		var err error
		if off, err = strconv.Atoi(n); !found || err != nil || off < 0 {
			writeError(resp.w, http.StatusNotFound, "INVALID_QUERY_LOCATOR")
			return
		}
	} else if r.URL.Query().Get("q") == "" {
		badParam(resp.w, "MALFORMED_QUERY: q is required")
		return
	}
	recs, total := s.records(off, batch)
	type sobject struct {
		Attributes struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"attributes"`
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}
	out := make([]sobject, len(recs))
	for i, rec := range recs {
		out[i].Attributes.Type = "Record__c"
		out[i].ID = fmt.Sprintf("a00RO%010d", rec.ID)
		out[i].Attributes.URL = "/services/data/v58.0/sobjects/Record__c/" + out[i].ID
		out[i].Name = rec.Name
	}
	end := off + len(recs)
	body := map[string]any{"totalSize": total, "done": end >= total, "records": out}
	if end < total {
		body["nextRecordsUrl"] = fmt.Sprintf("%s/01gRO0000016PIAYA2-%d", Salesforce, end)
	}
	resp.encode(body)
}

func (s *Server) serveJSONServer(resp *response, r *http.Request) {
	page, ok1 := intParam(r, "_page", 1, 1, 0)
	size, ok2 := intParam(r, "_per_page", 10, 1, 0)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad _page or _per_page")
		return
	}
	recs, total := s.records((page-1)*size, size)
	last := max((total+size-1)/size, 1)
	num := func(p int, ok bool) any {
		if ok {
			return p
		}
		return nil
	}
	resp.encode(map[string]any{"first": 1, "prev": num(page-1, page > 1), "next": num(page+1, page < last),
		"last": last, "pages": last, "items": total, "data": recs})
}

func (s *Server) serveJSONServer017(resp *response, r *http.Request) {
	limit, ok1 := intParam(r, "_limit", 10, 1, 0)
	start, ok2 := intParam(r, "_start", 0, 0, 0)
	page, ok3 := intParam(r, "_page", 0, 1, 0)
	if !ok1 || !ok2 || !ok3 {
		badParam(resp.w, "bad _limit, _start or _page")
		return
	}
	if page > 0 {
		start = (page - 1) * limit
	}
	recs, total := s.records(start, limit)
	resp.w.Header().Set("X-Total-Count", strconv.Itoa(total))
	resp.w.Header().Set("Access-Control-Expose-Headers", "X-Total-Count")
	resp.encode(recs)
}

func (s *Server) servePostgREST(resp *response, r *http.Request) {
	limit, ok1 := intParam(r, "limit", 1<<30, 0, 0)
	off, ok2 := intParam(r, "offset", 0, 0, 0)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad limit or offset")
		return
	}
	recs, total := s.records(off, limit)
	exact := strings.Contains(r.Header.Get("Prefer"), "count=exact")
	if off > 0 && off >= total && exact {
		resp.w.Header().Set("Content-Range", "*/"+strconv.Itoa(total))
		writeError(resp.w, http.StatusRequestedRangeNotSatisfiable, "PGRST103: Requested range not satisfiable")
		return
	}
	rng := "*"
	if len(recs) > 0 {
		rng = fmt.Sprintf("%d-%d", off, off+len(recs)-1)
	}
	count := "*"
	if exact {
		count = strconv.Itoa(total)
	}
	h := resp.w.Header()
	h.Set("Content-Range", rng+"/"+count)
	b, _ := json.Marshal(recs)
	h.Set("Content-Type", "application/json; charset=utf-8")
	if exact && len(recs) < total {
		resp.w.WriteHeader(http.StatusPartialContent)
	}
	_, _ = resp.w.Write(b)
}

// stripeID is a record's id in Stripe's style.
func stripeID(id int) string { return "ch_" + pad6(id) }

func (s *Server) serveStripe(resp *response, r *http.Request) {
	limit, ok := intParam(r, "limit", 10, 1, 100)
	if !ok {
		writeError(resp.w, http.StatusBadRequest, "Invalid integer: limit must be between 1 and 100")
		return
	}
	_, n := s.records(0, 0)
	// Newest first: record N is at position 0.
	start := 0
	if after := r.URL.Query().Get("starting_after"); after != "" {
		id, err := strconv.Atoi(strings.TrimPrefix(after, "ch_"))
		if err != nil || !strings.HasPrefix(after, "ch_") || id < 1 || id > n {
			writeError(resp.w, http.StatusBadRequest, "No such charge: '"+after+"'")
			return
		}
		start = n - id + 1
	}
	type charge struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Amount  int    `json:"amount"`
		Created int64  `json:"created"`
		Name    string `json:"description"`
	}
	var data []charge
	for pos := start; pos < min(start+limit, n); pos++ {
		rec := s.Record(n - pos)
		data = append(data, charge{stripeID(rec.ID), "charge", 100 * rec.ID, epoch.Unix() + 60*int64(rec.ID-1), rec.Name})
	}
	resp.encode(map[string]any{"object": "list", "url": Stripe, "has_more": start+limit < n, "data": data})
}

func (s *Server) serveSince(resp *response, r *http.Request) {
	since, ok1 := intParam(r, "since", 0, 0, 0)
	size, ok2 := intParam(r, "per_page", 30, 1, 100)
	if !ok1 || !ok2 {
		badParam(resp.w, "bad since or per_page")
		return
	}
	recs, _ := s.records(since, size) // ids are positions + 1
	resp.encode(recs)
}

func (s *Server) serveAfter(resp *response, r *http.Request) {
	limit, ok := intParam(r, "limit", 25, 1, 100)
	if !ok {
		badParam(resp.w, "bad limit")
		return
	}
	off := 0
	if after := r.URL.Query().Get("after"); after != "" {
		_, n := s.records(0, 0)
		off = n
		for id := 1; id <= n; id++ { // the first record created after it
			if s.Record(id).CreatedAt > after {
				off = id - 1
				break
			}
		}
	}
	recs, _ := s.records(off, limit)
	resp.encode(map[string]any{"posts": recs})
}

func (s *Server) serveCursors(resp *response, r *http.Request) {
	limit, ok := intParam(r, "limit", 25, 1, 100)
	if !ok {
		badParam(resp.w, "bad limit")
		return
	}
	cursor := r.URL.Query().Get("cursor")
	if h := r.Header.Get("X-Cursor"); h != "" {
		cursor = h
	}
	off := 0
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "off:"))
		if err != nil || err2 != nil {
			badParam(resp.w, "invalid cursor")
			return
		}
		off = n
	}
	recs, total := s.records(off, limit)
	if end := off + len(recs); end < total {
		resp.w.Header().Set("X-Next-Cursor", base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "off:%d", end)))
	}
	resp.encode(recs)
}

func nomadID(id int) string { return "job-" + pad6(id) }

func (s *Server) serveNomad(resp *response, r *http.Request) {
	size, ok := intParam(r, "per_page", 0, 1, 0)
	if !ok {
		badParam(resp.w, "bad per_page")
		return
	}
	off := 0
	if tok := r.URL.Query().Get("next_token"); tok != "" {
		id, err := strconv.Atoi(strings.TrimPrefix(tok, "job-"))
		if err != nil {
			badParam(resp.w, "bad next_token")
			return
		}
		off = id - 1 // inclusive: the token is the first job of the page
	}
	if size == 0 {
		size = 1 << 30
	}
	recs, total := s.records(off, size)
	type job struct {
		ID, Name, Status string
	}
	jobs := make([]job, len(recs))
	for i, rec := range recs {
		jobs[i] = job{nomadID(rec.ID), rec.Name, rec.Status}
	}
	resp.w.Header().Set("X-Nomad-Index", strconv.Itoa(1000+total))
	if end := off + len(recs); end < total {
		resp.w.Header().Set("X-Nomad-NextToken", nomadID(end+1))
	}
	resp.encode(jobs)
}

func (s *Server) serveChanges(resp *response, r *http.Request) {
	limit, ok := intParam(r, "limit", 1<<30, 1, 0)
	if !ok {
		badParam(resp.w, "Invalid limit.")
		return
	}
	v1 := r.URL.Path == Changes1
	since := r.URL.Query().Get("since")
	off := 0
	if since != "" && since != "0" {
		n, err := strconv.Atoi(strings.Split(since, "-")[0])
		if err != nil || n < 0 || (!v1 && !strings.Contains(since, "-g1AAAA")) {
			badParam(resp.w, "Malformed sequence supplied in 'since' parameter.")
			return
		}
		off = n
	}
	recs, total := s.records(off, limit)
	seq := func(n int) any {
		if v1 {
			return n
		}
		return fmt.Sprintf("%d-g1AAAA%s", n, base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "node1:%d", n)))
	}
	type change struct {
		Seq     any                 `json:"seq"`
		ID      string              `json:"id"`
		Changes []map[string]string `json:"changes"`
	}
	results := make([]change, len(recs))
	for i, rec := range recs {
		results[i] = change{seq(off + i + 1), rec.Name, []map[string]string{{"rev": "1-" + pad6(rec.ID)}}}
	}
	var last any = since // caught up: the since asked with, as given
	if since == "" {
		last = seq(0)
	}
	if len(recs) > 0 {
		last = seq(off + len(recs))
	} else if v1 {
		last = off
	}
	body := map[string]any{"results": results, "last_seq": last}
	if !v1 {
		body["pending"] = max(total-off-len(recs), 0)
	}
	resp.encode(body)
}

// readJSON decodes r's body into v, answering 400 if it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		badParam(w, "the body is not valid JSON: "+err.Error())
		return false
	}
	return true
}

func (s *Server) serveGraphQL(resp *response, r *http.Request) {
	var req struct {
		Query     string
		Variables struct {
			First *int
			After *string
		}
	}
	if !readJSON(resp.w, r, &req) {
		return
	}
	if req.Variables.First == nil || *req.Variables.First < 1 || *req.Variables.First > 100 {
		resp.encode(map[string]any{"data": nil, "errors": []map[string]any{{
			"type":    "EXCESSIVE_PAGINATION",
			"message": "Requesting records on the `issues` connection requires a `first` from 1 to 100.",
		}}})
		return
	}
	off := 0
	if a := req.Variables.After; a != nil {
		raw, err := base64.StdEncoding.DecodeString(*a)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "cursor:v2:"))
		if err != nil || err2 != nil {
			resp.encode(map[string]any{"data": map[string]any{"repository": nil}, "errors": []map[string]any{{
				"message": "`" + *a + "` does not appear to be a valid cursor.",
			}}})
			return
		}
		off = n
	}
	recs, total := s.records(off, *req.Variables.First)
	cursor := func(n int) string { return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "cursor:v2:%d", n)) }
	type issue struct {
		Number int    `json:"number"`
		Title  string `json:"title"`
	}
	conn := map[string]any{"totalCount": total}
	var end any
	if len(recs) > 0 {
		end = cursor(off + len(recs))
	}
	conn["pageInfo"] = map[string]any{"endCursor": end, "hasNextPage": off+len(recs) < total}
	if strings.Contains(req.Query, "edges") {
		edges := make([]map[string]any, len(recs))
		for i, rec := range recs {
			edges[i] = map[string]any{"cursor": cursor(off + i + 1), "node": issue{rec.ID, rec.Name}}
		}
		conn["edges"] = edges
	} else {
		nodes := make([]issue, len(recs))
		for i, rec := range recs {
			nodes[i] = issue{rec.ID, rec.Name}
		}
		conn["nodes"] = nodes
	}
	resp.encode(map[string]any{"data": map[string]any{"repository": map[string]any{"issues": conn}}})
}

func (s *Server) serveNotion(resp *response, r *http.Request) {
	var req struct {
		StartCursor *string `json:"start_cursor"`
		PageSize    *int    `json:"page_size"`
	}
	if !readJSON(resp.w, r, &req) {
		return
	}
	size := 100
	if req.PageSize != nil {
		size = min(max(*req.PageSize, 1), 100)
	}
	off := 0
	if c := req.StartCursor; c != nil {
		id, err := strconv.Atoi(strings.TrimPrefix(*c, "00000000-0000-0000-0000-"))
		if err != nil || id < 1 {
			writeError(resp.w, http.StatusBadRequest, "body failed validation: body.start_cursor should be a valid uuid")
			return
		}
		off = id - 1 // the cursor is the id of the next page's first result
	}
	recs, total := s.records(off, size)
	var next any
	if end := off + len(recs); end < total {
		next = fmt.Sprintf("00000000-0000-0000-0000-%012d", end+1)
	}
	resp.encode(map[string]any{"object": "list", "results": recs, "next_cursor": next,
		"has_more": next != nil, "type": "page_or_database", "page_or_database": map[string]any{}})
}

func (s *Server) serveSearch(resp *response, r *http.Request) {
	var req struct {
		Size        *int
		SearchAfter []json.Number `json:"search_after"`
	}
	if !readJSON(resp.w, r, &req) {
		return
	}
	size := 10
	if req.Size != nil {
		size = *req.Size
	}
	off := 0
	if sa := req.SearchAfter; sa != nil {
		id, err := sa[len(sa)-1].Int64()
		if len(sa) != 2 || err != nil {
			badParam(resp.w, "search_after has 2 values for the 2 sort fields: created_at, id")
			return
		}
		off = int(id) // ids are positions + 1: the next hit is at id
	}
	recs, total := s.records(off, size)
	hits := make([]map[string]any, len(recs))
	for i, rec := range recs {
		millis := (epoch.Unix() + 60*int64(rec.ID-1)) * 1000
		hits[i] = map[string]any{"_index": "logs", "_id": strconv.Itoa(rec.ID), "_score": nil,
			"_source": rec, "sort": []any{millis, rec.ID}}
	}
	resp.encode(map[string]any{"took": 3, "timed_out": false,
		"hits": map[string]any{"total": map[string]any{"value": total, "relation": "eq"}, "max_score": nil, "hits": hits}})
}

// azurePartition is the PartitionKey of the record at position off: 100
// records per partition.
func azurePartition(off int) string { return fmt.Sprintf("p%04d", off/100) }

func (s *Server) serveAzure(resp *response, r *http.Request) {
	top, ok := intParam(r, "$top", 1000, 1, 1000)
	q := r.URL.Query()
	pk, rk := q.Get("NextPartitionKey"), q.Get("NextRowKey")
	if !ok || (pk == "") != (rk == "") {
		writeError(resp.w, http.StatusBadRequest, "InvalidInput: NextPartitionKey and NextRowKey go together")
		return
	}
	// A page ends at its partition's end, and the continuation from there
	// is past the partition's last row ("~"): it is answered with no
	// records and the continuation to the next partition.
	off, n := 0, 0
	switch part, err := strconv.Atoi(strings.TrimPrefix(pk, "p")); {
	case pk != "" && err != nil:
		writeError(resp.w, http.StatusBadRequest, "InvalidInput: bad NextPartitionKey")
		return
	case rk == "~":
		off = (part + 1) * 100
	case rk != "":
		id, err := strconv.Atoi(rk)
		if err != nil || azurePartition(id-1) != pk {
			writeError(resp.w, http.StatusBadRequest, "InvalidInput: bad NextRowKey")
			return
		}
		off, n = id-1, min(top, 100-(id-1)%100)
	default:
		n = min(top, 100)
	}
	recs, total := s.records(off, n)
	type entity struct {
		PartitionKey, RowKey string
		Name                 string `json:"Name"`
	}
	value := make([]entity, len(recs))
	for i, rec := range recs {
		value[i] = entity{azurePartition(rec.ID - 1), pad6(rec.ID), rec.Name}
	}
	h := resp.w.Header()
	switch end := off + len(recs); {
	case end >= total:
	case n > 0 && end%100 == 0:
		h.Set("x-ms-continuation-NextPartitionKey", azurePartition(end-1))
		h.Set("x-ms-continuation-NextRowKey", "~")
	default:
		h.Set("x-ms-continuation-NextPartitionKey", azurePartition(end))
		h.Set("x-ms-continuation-NextRowKey", pad6(end+1))
	}
	resp.encode(map[string]any{"odata.metadata": s.URL + "/$metadata#records", "value": value})
}

func (s *Server) serveSlack(resp *response, r *http.Request) {
	limit, ok := intParam(r, "limit", 100, 1, 1000)
	if !ok {
		resp.encode(map[string]any{"ok": false, "error": "invalid_limit"})
		return
	}
	off := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		id, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "team:C"))
		if err != nil || err2 != nil {
			resp.encode(map[string]any{"ok": false, "error": "invalid_cursor"})
			return
		}
		off = id - 1
	}
	recs, total := s.records(off, limit)
	type channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	channels := make([]channel, len(recs))
	for i, rec := range recs {
		channels[i] = channel{"C" + pad6(rec.ID), rec.Name}
	}
	next := ""
	if end := off + len(recs); end < total {
		next = base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "team:C%06d", end+1))
	}
	resp.encode(map[string]any{"ok": true, "channels": channels, "response_metadata": map[string]string{"next_cursor": next}})
}
