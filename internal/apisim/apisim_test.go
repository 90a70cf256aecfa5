package apisim_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager/internal/apisim"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func start(t *testing.T, cfg apisim.Config) *apisim.Server {
	t.Helper()
	s, err := apisim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		s.Close()
	})
	return s
}

// get fetches path from s and returns the status, the header and the body.
func get(t *testing.T, s *apisim.Server, path string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// ids returns the ids of the records in a JSON array.
func ids(t *testing.T, raw json.RawMessage) []int {
	t.Helper()
	var recs []apisim.Record
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	out := []int{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func span(from, to int) []int {
	out := []int{}
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestShapes(t *testing.T) {
	s := start(t, apisim.Config{N: 1500})
	tests := []struct {
		label, path string
		items       string // the field holding the records; "" for a bare array
		wantIDs     []int
		wantFields  map[string]any
		reason      string
	}{
		{
			label: "runs", path: "/runs?limit=2&offset=10", items: "runs", wantIDs: span(11, 12),
			wantFields: map[string]any{"count": 2.0, "total": 1500.0, "limit": 2.0, "offset": 10.0, "sort_by": "id", "sort_order": "asc"},
		},
		{
			label: "runs clamp", path: "/runs?limit=5000&offset=0", items: "runs", wantIDs: span(1, 1000),
			wantFields: map[string]any{"count": 1000.0, "total": 1500.0, "limit": 1000.0, "offset": 0.0, "sort_by": "id", "sort_order": "asc"},
			reason:     "limit 1–1000: the applied limit is echoed",
		},
		{
			label: "issues clamp", path: "/issues/?limit=999&offset=0", wantIDs: span(1, 200),
			reason: "limit=999 is answered with 200 items",
		},
		{label: "issues default", path: "/issues/", wantIDs: span(1, 50)},
		{label: "issues past the end", path: "/issues/?offset=1500", wantIDs: []int{}},
		{
			label: "logs", path: "/logs?limit=500&offset=1400", items: "items", wantIDs: span(1401, 1500),
			wantFields: map[string]any{"total": 1500.0, "limit": 500.0, "offset": 1400.0, "has_more": false},
		},
		{
			label: "objects", path: "/objects?pageSize=3", items: "data", wantIDs: span(1, 3),
			wantFields: map[string]any{"nextPageToken": "v1.Mzoy"},
		},
		{
			label: "events", path: "/events?page=3&per_page=10", items: "items", wantIDs: span(21, 30),
			wantFields: map[string]any{"page": 3.0, "per_page": 10.0},
		},
		{label: "repos", path: "/repos?page=50", wantIDs: span(1471, 1500)},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			status, _, body := get(t, s, tt.path)
			if status != 200 {
				t.Fatalf("got status %d, want 200: %s", status, body)
			}
			raw := json.RawMessage(body)
			if tt.items != "" {
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(raw, &obj); err != nil {
					t.Fatal(err)
				}
				raw = obj[tt.items]
				got := map[string]any{}
				for k, v := range obj {
					if k != tt.items {
						var x any
						_ = json.Unmarshal(v, &x)
						got[k] = x
					}
				}
				if diff := cmp.Diff(tt.wantFields, got); diff != "" {
					t.Errorf("fields (-want +got):\n%s\n%s", diff, tt.reason)
				}
			}
			if diff := cmp.Diff(tt.wantIDs, ids(t, raw)); diff != "" {
				t.Errorf("ids (-want +got):\n%s\n%s", diff, tt.reason)
			}
		})
	}
}

func TestBadParameters(t *testing.T) {
	s := start(t, apisim.Config{N: 10})
	for _, path := range []string{"/runs?limit=0", "/issues/?offset=-1", "/objects?pageToken=bogus", "/events?page=0", "/repos?per_page=x", "/nowhere"} {
		if status, _, body := get(t, s, path); status/100 != 4 || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s: got %d %s, want a 4xx with a JSON error", path, status, body)
		}
	}
}

func TestTokens(t *testing.T) {
	s := start(t, apisim.Config{N: 250})
	var got []int
	tok := ""
	for range 10 {
		_, _, body := get(t, s, "/objects?pageToken="+tok)
		var page struct {
			Data []apisim.Record
			Next *string `json:"nextPageToken"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Data {
			got = append(got, r.ID)
		}
		if page.Next == nil {
			break
		}
		tok = *page.Next
	}
	if diff := cmp.Diff(span(1, 250), got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestLinks(t *testing.T) {
	s := start(t, apisim.Config{N: 95})
	_, h, _ := get(t, s, "/repos?per_page=30&page=2&sort=id")
	want := `<` + s.URL + `/repos?page=3&per_page=30&sort=id>; rel="next", <` + s.URL + `/repos?page=4&per_page=30&sort=id>; rel="last", <` +
		s.URL + `/repos?page=1&per_page=30&sort=id>; rel="first", <` + s.URL + `/repos?page=1&per_page=30&sort=id>; rel="prev"`
	if got := h.Get("Link"); got != want {
		t.Errorf("got Link\n%s\nwant\n%s", got, want)
	}
	if _, h, _ := get(t, s, "/repos?per_page=30&page=4"); strings.Contains(h.Get("Link"), `"next"`) {
		t.Errorf("the last page links to a next one: %s", h.Get("Link"))
	}
}

func TestStream(t *testing.T) {
	s := start(t, apisim.Config{N: 5, Faults: apisim.Faults{Heartbeat: 2, ErrorLine: 4}})
	for _, tt := range []struct{ path, accept string }{{"/stream", ""}, {"/logs", "application/x-ndjson"}} {
		status, h, body := get(t, s, tt.path, "Accept", tt.accept)
		if status != 200 || h.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("GET %s: got %d %s", tt.path, status, h.Get("Content-Type"))
		}
		want := `{"id":1,"name":"record-000001","status":"ok","created_at":"2026-01-01T00:00:00Z"}` + "\n" +
			`{"id":2,"name":"record-000002","status":"ok","created_at":"2026-01-01T00:01:00Z"}` + "\n\n" +
			`{"id":3,"name":"record-000003","status":"failed","created_at":"2026-01-01T00:02:00Z"}` + "\n" +
			`{"id":4,"name":"record-000004","status":"failed","created_at":"2026-01-01T00:03:00Z"}` + "\n" +
			"ERROR: canceling statement due to statement timeout\n"
		if body != want {
			t.Errorf("GET %s: got\n%s\nwant\n%s", tt.path, body, want)
		}
	}
	if st := s.Stats(); st.ErrorLines != 2 || st.Heartbeats != 2 {
		t.Errorf("got %+v, want 2 error lines and 2 heartbeats (one each per stream)", st)
	}
}

// outcomes fetches each path once and describes what came back.
func outcomes(s *apisim.Server, paths []string) []string {
	var out []string
	for _, p := range paths {
		resp, err := http.Get(s.URL + p)
		if err != nil {
			out = append(out, "transport error")
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			out = append(out, "body cut")
		case resp.StatusCode != 200:
			out = append(out, resp.Status+" "+resp.Header.Get("Retry-After"))
		case !json.Valid(body):
			out = append(out, "truncated")
		default:
			out = append(out, "ok")
		}
	}
	return out
}

func TestFaultsDeterministic(t *testing.T) {
	cfg := apisim.Config{N: 1000, Seed: 7, Faults: apisim.Faults{
		TooMany: 0.1, RetryAfter: 1500 * time.Millisecond, ServerError: 0.1, Reset: 0.1, Truncate: 0.1,
	}}
	var paths []string
	for off := 0; off < 1000; off += 10 {
		paths = append(paths, fmt.Sprintf("/runs?limit=10&offset=%d", off))
	}
	paths = append(paths, paths...) // asked again: new dice
	a, b := start(t, cfg), start(t, cfg)
	got, again := outcomes(a, paths), outcomes(b, paths)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("two servers with one seed differ (-first +second):\n%s", diff)
	}
	count := map[string]int{}
	for _, o := range got {
		count[o]++
	}
	st := a.Stats()
	if st.Requests != 200 || int(st.TooMany) != count["429 Too Many Requests 2"] ||
		int(st.Truncated) != count["truncated"] || st.Resets == 0 || st.ServerErrors == 0 {
		t.Errorf("got stats %+v for outcomes %v", st, count)
	}
	if f := st.Faults(); f < 50 || f > 110 {
		t.Errorf("got %d faults in 200 requests at a rate of 40%%", f)
	}
	if count["ok"] == 0 {
		t.Errorf("no request succeeded: %v", count)
	}
}

func TestChanges(t *testing.T) {
	s := start(t, apisim.Config{N: 100, Faults: apisim.Faults{Insert: 1}})
	_, _, first := get(t, s, "/issues/?limit=10&offset=0")
	_, _, second := get(t, s, "/issues/?limit=10&offset=10")
	a, b := ids(t, json.RawMessage(first)), ids(t, json.RawMessage(second))
	if a[9] != b[0] {
		t.Errorf("got pages %v and %v: want the record inserted on the first page to push its last onto the second", a, b)
	}
	if st := s.Stats(); st.Inserted != 2 {
		t.Errorf("got %d inserted, want 2", st.Inserted)
	}
}

func TestTokenFaults(t *testing.T) {
	s := start(t, apisim.Config{N: 100, Faults: apisim.Faults{RepeatToken: 2}})
	_, _, first := get(t, s, "/objects?pageSize=10")
	var p struct{ NextPageToken string }
	_ = json.Unmarshal([]byte(first), &p)
	_, _, second := get(t, s, "/objects?pageSize=10&pageToken="+p.NextPageToken)
	var q struct{ NextPageToken string }
	_ = json.Unmarshal([]byte(second), &q)
	if q.NextPageToken != p.NextPageToken {
		t.Errorf("got next token %q on page 2, want the token it was fetched with, %q", q.NextPageToken, p.NextPageToken)
	}

	s = start(t, apisim.Config{N: 100, Faults: apisim.Faults{ExpireToken: 1}})
	_, _, first = get(t, s, "/objects?pageSize=10")
	_ = json.Unmarshal([]byte(first), &p)
	if status, _, _ := get(t, s, "/objects?pageSize=10&pageToken="+p.NextPageToken); status != http.StatusGone {
		t.Errorf("got status %d, want 410", status)
	}
}

func TestRepeatLastPage(t *testing.T) {
	s := start(t, apisim.Config{N: 25, Faults: apisim.Faults{RepeatLastPage: true}})
	_, _, body := get(t, s, "/events?page=9&per_page=10")
	var p struct{ Items json.RawMessage }
	_ = json.Unmarshal([]byte(body), &p)
	if diff := cmp.Diff(span(21, 25), ids(t, p.Items)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestResetStream(t *testing.T) {
	s := start(t, apisim.Config{N: 1000, Faults: apisim.Faults{Reset: 1}})
	resp, err := http.Get(s.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		lines++
	}
	if sc.Err() == nil && lines >= 1000 {
		t.Errorf("got all %d lines and no error, want the stream cut", lines)
	}
}

// TestQuota spends a quota of 2 a window: each answer says what is left
// and when the window ends, the third is a 429 until then, and the next
// window allows 2 again.
func TestQuota(t *testing.T) {
	for _, prefix := range []string{"RateLimit", "X-RateLimit"} {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			const window = time.Second // long enough for 3 requests on a busy machine
			s := start(t, apisim.Config{N: 10, Faults: apisim.Faults{Quota: 2, QuotaWindow: window, QuotaHeaders: prefix}})
			began := time.Now()
			var got []string
			for range 3 {
				code, h, _ := get(t, s, apisim.Runs)
				got = append(got, fmt.Sprintf("%d %s %s", code, h.Get(prefix+"-Limit"), h.Get(prefix+"-Remaining")))
				reset, err := strconv.ParseInt(h.Get(prefix+"-Reset"), 10, 64)
				if prefix == "X-RateLimit" {
					reset -= began.Unix()
				}
				if err != nil || reset < 0 || reset > 2 {
					t.Errorf("%s-Reset: %q, want the window's end, rounded up to a second", prefix, h.Get(prefix+"-Reset"))
				}
				if code == http.StatusTooManyRequests && h.Get("Retry-After") != "1" {
					t.Errorf("Retry-After: %q, want 1", h.Get("Retry-After"))
				}
			}
			time.Sleep(window) // past the window's end, which the first request started
			code, h, _ := get(t, s, apisim.Runs)
			got = append(got, fmt.Sprintf("%d %s %s", code, h.Get(prefix+"-Limit"), h.Get(prefix+"-Remaining")))
			want := []string{"200 2 1", "200 2 0", "429 2 0", "200 2 1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			if st := s.Stats(); st.OverQuota != 1 || st.Faults() != 1 {
				t.Errorf("got %+v, want 1 request over the quota", st)
			}
		})
	}
}
