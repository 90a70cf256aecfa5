package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// Rec is an apisim record, as a client would declare it.
type Rec struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func sim(t *testing.T, cfg apisim.Config) *apisim.Server {
	t.Helper()
	s, err := apisim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// client returns an HTTP client of its own, so that tests count their own
// connections, closed when the test ends.
func client(t *testing.T) *http.Client {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func recs(from, to int) []Rec {
	var out []Rec
	for i := from; i <= to; i++ {
		out = append(out, Rec{ID: i, Name: fmt.Sprintf("record-%06d", i)})
	}
	return out
}

// TestSeedStyles walks each seed API's imitation to its end.
func TestSeedStyles(t *testing.T) {
	const n = 1234
	tests := []struct {
		label     string
		src       func(s *apisim.Server, c *http.Client) pager.Source[Rec]
		wantCalls int64
		reason    string
	}{
		{
			label: "runs: total, limit echo",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Runs, Client: c, Items: "runs"}),
					pager.PageSize(500), pager.MaxPageSize(1000))
			},
			wantCalls: 3, reason: "500 + 500 + 234 reaches the total: no request past it",
		},
		{
			label: "issues: bare array, limit=999 clamped to 200",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Issues, Client: c}), pager.PageSize(999))
			},
			wantCalls: 8, reason: "7 pages of up to 200, then the empty page that ends a bare array",
		},
		{
			label: "logs: has_more",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Logs + "?level=ERROR", Client: c, Items: "items"}),
					pager.PageSize(500))
			},
			wantCalls: 3, reason: "has_more false on the third page",
		},
		{
			label: "objects: page tokens, null on the last page",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pager.Token(pagerhttp.TokenFetch[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Objects, Client: c, Items: "data"}), pager.PageSize(1000))
			},
			wantCalls: 13, reason: "pageSize is clamped to 100",
		},
		{
			label: "events: page numbers",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pager.PageNumber(pagerhttp.PageNumberFetch[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Events, Client: c, Items: "items"}), pager.PageSize(100))
			},
			wantCalls: 14, reason: "no total: the empty page 14 ends the walk",
		},
		{
			label: "repos: Link header",
			src: func(s *apisim.Server, c *http.Client) pager.Source[Rec] {
				return pagerhttp.Link[Rec](pagerhttp.Endpoint{URL: s.URL + apisim.Repos + "?sort=id", Client: c}, pager.PageSize(100))
			},
			wantCalls: 13, reason: "the last page has no rel=next",
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := sim(t, apisim.Config{N: n})
			got, err := pager.Collect(pager.All(context.Background(), tt.src(s, client(t))))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(recs(1, n), got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if calls := s.Stats().Requests; calls != tt.wantCalls {
				t.Errorf("got %d requests, want %d: %s", calls, tt.wantCalls, tt.reason)
			}
		})
	}
}

// TestFaultsRetried walks each style through a server that fails a third
// of its requests in every way a retry can cure.
func TestFaultsRetried(t *testing.T) {
	faults := apisim.Faults{TooMany: 0.1, ServerError: 0.1, Reset: 0.05, Truncate: 0.05, Short: 0.2}
	retry := pager.Retry(pager.RetryPolicy{Attempts: 20, MinDelay: time.Microsecond, MaxDelay: time.Microsecond})
	for _, tt := range []struct {
		label string
		src   func(ep pagerhttp.Endpoint) pager.Source[Rec]
		path  string
		items string
	}{
		{"offset", func(ep pagerhttp.Endpoint) pager.Source[Rec] {
			return pager.Offset(pagerhttp.OffsetFetch[Rec](ep), retry)
		}, apisim.Logs, "items"},
		{"token", func(ep pagerhttp.Endpoint) pager.Source[Rec] {
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), retry)
		}, apisim.Objects, "data"},
		{"page", func(ep pagerhttp.Endpoint) pager.Source[Rec] {
			return pager.PageNumber(pagerhttp.PageNumberFetch[Rec](ep), retry)
		}, apisim.Events, "items"},
		{"link", func(ep pagerhttp.Endpoint) pager.Source[Rec] { return pagerhttp.Link[Rec](ep, retry) }, apisim.Repos, ""},
	} {
		t.Run(tt.label, func(t *testing.T) {
			s := sim(t, apisim.Config{N: 2000, Seed: 1, Faults: faults})
			// Retry-After: 0 is not in the simulator; a 429 here waits
			// the backoff, which the fake sleep skips.
			ep := pagerhttp.Endpoint{URL: s.URL + tt.path, Client: client(t), Items: tt.items}
			got, err := pager.Collect(pager.All(context.Background(), tt.src(ep)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(recs(1, 2000), got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if st := s.Stats(); st.TooMany+st.ServerErrors+st.Resets+st.Truncated == 0 {
				t.Errorf("no fault injected: %+v", st)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	date := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return date.Add(-90 * time.Second) }
	tests := []struct {
		label      string
		status     int
		header     map[string]string
		body       string
		wantRetry  bool
		wantAfter  time.Duration
		wantSuffix string
	}{
		{label: "404", status: 404, body: `{"error": "no such workspace"}`, wantSuffix: `: 404 Not Found: {"error": "no such workspace"}`},
		{label: "400", status: 400, body: "bad\n  limit\n", wantSuffix: ": 400 Bad Request: bad limit"},
		{label: "408", status: 408, wantRetry: true, wantSuffix: ": 408 Request Timeout"},
		{label: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, wantRetry: true, wantAfter: 7 * time.Second},
		{label: "429 date", status: 429, header: map[string]string{"Retry-After": date.Format(http.TimeFormat)}, wantRetry: true, wantAfter: 90 * time.Second},
		{label: "503 date past", status: 503, header: map[string]string{"Retry-After": "Mon, 01 Jan 2001 00:00:00 GMT"}, wantRetry: true},
		{label: "503 garbage", status: 503, header: map[string]string{"Retry-After": "soon"}, wantRetry: true},
		{label: "500 long body", status: 500, body: strings.Repeat("x", 5000), wantRetry: true, wantSuffix: ": 500 Internal Server Error: " + strings.Repeat("x", 1024)},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			ep := pagerhttp.WithClock(pagerhttp.Endpoint{URL: srv.URL + "/x", Client: client(t)}, now, nil)
			_, err := pagerhttp.OffsetFetch[Rec](ep)(context.Background(), pager.Request{Limit: 10})
			var he *pagerhttp.HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want an *HTTPError", err)
			}
			if he.StatusCode != tt.status || he.Retryable() != tt.wantRetry || he.RetryAfter() != tt.wantAfter {
				t.Errorf("got status %d, retryable %t, retry after %v; want %d, %t, %v",
					he.StatusCode, he.Retryable(), he.RetryAfter(), tt.status, tt.wantRetry, tt.wantAfter)
			}
			prefix := "pagerhttp: GET " + srv.URL + "/x?limit=10&offset=0"
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, tt.wantSuffix) {
				t.Errorf("got message %q, want %q…%q", msg, prefix, tt.wantSuffix)
			}
		})
	}
}

// TestPermanentNotRetried checks that a 4xx ends the walk at once, and a
// 503 is retried, through the RetryPolicy's default classifier.
func TestPermanentNotRetried(t *testing.T) {
	for _, tt := range []struct {
		status       int
		wantAttempts int
	}{{404, 1}, {503, 3}} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(tt.status)
		}))
		src := pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Client: client(t)}),
			pager.Retry(pager.RetryPolicy{Attempts: 3, MaxDelay: time.Microsecond}))
		_, err := pager.Collect(pager.All(context.Background(), src))
		var pe *pager.PageError
		if !errors.As(err, &pe) || pe.Attempts != tt.wantAttempts || int(calls.Load()) != tt.wantAttempts {
			t.Errorf("status %d: got %v after %d calls, want a *PageError after %d attempts", tt.status, err, calls.Load(), tt.wantAttempts)
		}
		srv.Close()
	}
}

// connCounter is a server that counts the connections it accepted.
type connCounter struct {
	*httptest.Server
	conns atomic.Int32
}

func newConnCounter(t *testing.T, h http.Handler) *connCounter {
	t.Helper()
	c := &connCounter{}
	c.Server = httptest.NewUnstartedServer(h)
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.Start()
	t.Cleanup(c.Close)
	return c
}

// TestConnectionReuse checks that bodies are drained and closed, so that
// one connection serves a whole walk: error answers, bodies with trailing
// bytes past the JSON, and an early break.
func TestConnectionReuse(t *testing.T) {
	var calls atomic.Int32
	srv := newConnCounter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			fmt.Fprint(w, strings.Repeat("slow down ", 500)) // longer than the KiB kept
			return
		case 4:
			w.WriteHeader(503)
			return
		}
		fmt.Fprintf(w, `[{"id": %s}]`+"\n\n\n", r.URL.Query().Get("offset"))
	}))
	c := client(t)
	src := pager.Offset(pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: srv.URL, Client: c}),
		pager.Retry(pager.RetryPolicy{Attempts: 3, MaxDelay: time.Microsecond}))
	n := 0
	for _, err := range pager.All(context.Background(), src) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 4 {
			break
		}
	}
	if got := srv.conns.Load(); got != 1 {
		t.Errorf("got %d connections for %d requests, want 1", got, calls.Load())
	}
	if got := calls.Load(); got != 6 {
		t.Errorf("got %d requests, want 6: 4 pages and 2 failures, none past the break", got)
	}
}

func TestHeaders(t *testing.T) {
	var got http.Header
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, query = r.Header, r.URL.RawQuery
		fmt.Fprint(w, `{"data": [], "nextPageToken": null}`)
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{
		URL:         srv.URL + "/v1/objects?snapshot=true",
		Client:      client(t),
		Header:      http.Header{"Authorization": {"Bearer s3cr3t"}},
		Items:       "data",
		LimitParam:  "-",
		TokenParam:  "cursor",
		OffsetParam: "ignored",
	}
	if _, err := pagerhttp.TokenFetch[Rec](ep)(context.Background(), pager.Request{Token: "a b", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer s3cr3t" || got.Get("Accept") != "application/json" {
		t.Errorf("got headers %v, want the Authorization given and Accept: application/json", got)
	}
	if want := "cursor=a+b&snapshot=true"; query != want {
		t.Errorf("got query %q, want %q", query, want)
	}
}

// TestBodies checks how answers map onto pages.
func TestBodies(t *testing.T) {
	tests := []struct {
		label   string
		fetch   func(pagerhttp.Endpoint) pager.FetchFunc[Rec]
		items   string
		body    string
		want    pager.Page[Rec]
		wantErr string
	}{
		{label: "token absent", fetch: pagerhttp.TokenFetch[Rec], items: "data", body: `{"data": [{"id": 1}]}`, want: pager.Page[Rec]{Items: []Rec{{ID: 1}}}},
		{label: "token null", fetch: pagerhttp.TokenFetch[Rec], items: "data", body: `{"data": [], "nextPageToken": null}`, want: pager.Page[Rec]{Items: []Rec{}}},
		{label: "token empty", fetch: pagerhttp.TokenFetch[Rec], items: "data", body: `{"data": null, "nextPageToken": ""}`},
		{label: "token string", fetch: pagerhttp.TokenFetch[Rec], items: "data", body: `{"data": [], "nextPageToken": "v1.x"}`, want: pager.Page[Rec]{Items: []Rec{}, Next: "v1.x"}},
		{label: "token number", fetch: pagerhttp.TokenFetch[Rec], items: "data", body: `{"data": [], "nextPageToken": 1234567890123}`, want: pager.Page[Rec]{Items: []Rec{}, Next: "1234567890123"}},
		{label: "total, has_more", fetch: pagerhttp.OffsetFetch[Rec], items: "items", body: `{"items": [], "total": 1500, "has_more": true}`, want: pager.Page[Rec]{Items: []Rec{}, Total: 1500}},
		{label: "has_more false", fetch: pagerhttp.OffsetFetch[Rec], items: "items", body: `{"items": [], "total": null, "has_more": false}`, want: pager.Page[Rec]{Items: []Rec{}, Last: true}},
		{label: "nested", fetch: pagerhttp.OffsetFetch[Rec], items: "result.items", body: `{"result": {"items": [{"id": 2}]}, "total": 1}`, want: pager.Page[Rec]{Items: []Rec{{ID: 2}}, Total: 1}},
		{label: "total pages", fetch: pagerhttp.PageNumberFetch[Rec], items: "items", body: `{"items": [], "total_pages": 3}`, want: pager.Page[Rec]{Items: []Rec{}, Last: true}},
		{label: "a token is not read for offset", fetch: pagerhttp.OffsetFetch[Rec], items: "data", body: `{"data": [], "nextPageToken": "x"}`, want: pager.Page[Rec]{Items: []Rec{}}},
		{
			label: "object, no Items", fetch: pagerhttp.OffsetFetch[Rec], body: `{"runs": [], "total": 0}`,
			wantErr: "the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (its fields: runs, total)",
		},
		{
			label: "missing field", fetch: pagerhttp.OffsetFetch[Rec], items: "events", body: `{"runs": [], "total": 0}`,
			wantErr: `the body has no field "events" (its fields: runs, total)`,
		},
		{
			label: "array, with Items", fetch: pagerhttp.OffsetFetch[Rec], items: "runs", body: `[]`,
			wantErr: `the body is a JSON array, not an object with the field "runs": leave Endpoint.Items empty`,
		},
		{label: "truncated", fetch: pagerhttp.OffsetFetch[Rec], body: `[{"id": 1}, {"id"`, wantErr: "decoding the items: unexpected end of JSON input"},
		{label: "bad total", fetch: pagerhttp.OffsetFetch[Rec], items: "items", body: `{"items": [], "total": "many"}`, wantErr: `decoding "total": json: cannot unmarshal string`},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) }))
			defer srv.Close()
			p, err := tt.fetch(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: tt.items})(context.Background(), pager.Request{Page: 3, Limit: 10})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "pagerhttp: GET "+srv.URL) {
					t.Errorf("got error %v, want pagerhttp: GET %s…%s", err, srv.URL, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinkWalk(t *testing.T) {
	// A server whose third page links back to the second, with relative
	// links, several Link headers, and rel values with several types.
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RequestURI())
		page := r.URL.Query().Get("page")
		switch page {
		case "":
			w.Header().Add("Link", `<https://elsewhere.example/x>; rel="help"`)
			w.Header().Add("Link", `</items?page=2>; rel="prev next", <x,y>; title="a, b"; rel=last`)
		case "2":
			w.Header().Set("Link", `<items?page=3>; REL=next`)
		case "3":
			w.Header().Set("Link", `</items?page=2>; rel="next"`)
		}
		fmt.Fprintf(w, `[{"id": %d}]`, len(asked))
	}))
	defer srv.Close()
	src := pagerhttp.Link[Rec](pagerhttp.Endpoint{URL: srv.URL + "/items", Client: client(t)}, pager.PageSize(2))
	got, err := pager.Collect(pager.All(context.Background(), src))
	if diff := cmp.Diff([]Rec{{ID: 1}, {ID: 2}, {ID: 3}}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/items?per_page=2", "/items?page=2", "/items?page=3"}, asked); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	var pe *pager.PageError
	if !errors.Is(err, pager.ErrRepeatedToken) || !errors.As(err, &pe) || pe.Token != srv.URL+"/items?page=2" {
		t.Errorf("got %v, want a *PageError for %s wrapping ErrRepeatedToken", err, srv.URL+"/items?page=2")
	}

	// A first page that links to itself is caught before it is fetched again.
	asked = nil
	self := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RequestURI())
		w.Header().Set("Link", `<`+r.URL.RequestURI()+`>; rel="next"`)
		fmt.Fprint(w, `[{"id": 1}]`)
	}))
	defer self.Close()
	got, err = pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](pagerhttp.Endpoint{URL: self.URL, Client: client(t)})))
	if len(got) != 1 || len(asked) != 1 || !errors.Is(err, pager.ErrRepeatedToken) {
		t.Errorf("got %v and %v after %d requests, want 1 record, ErrRepeatedToken, 1 request", got, err, len(asked))
	}
}

func TestLinkResume(t *testing.T) {
	s := sim(t, apisim.Config{N: 100})
	ep := pagerhttp.Endpoint{URL: s.URL + apisim.Repos, Client: client(t)}
	next := s.URL + apisim.Repos + "?page=3&per_page=30"
	got, err := pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](ep, pager.StartToken(next))))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs(61, 100), got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// pacing is a fake clock for an Endpoint's rate-limit pacing.
type pacing struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (p *pacing) endpoint(ep pagerhttp.Endpoint) pagerhttp.Endpoint {
	return pagerhttp.WithClock(ep,
		func() time.Time { p.mu.Lock(); defer p.mu.Unlock(); return p.now },
		func(ctx context.Context, d time.Duration) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.slept = append(p.slept, d)
			p.now = p.now.Add(d)
			return ctx.Err()
		})
}

func TestQuotaPacing(t *testing.T) {
	start := time.Unix(2_000_000_000, 0)
	tests := []struct {
		label     string
		header    func(call int) http.Header
		wantSleep []time.Duration
		wantErr   error
	}{
		{
			label: "RateLimit headers",
			header: func(call int) http.Header {
				if call == 2 {
					return http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"30"}}
				}
				return http.Header{"Ratelimit-Remaining": {"5"}, "Ratelimit-Reset": {"30"}}
			},
			wantSleep: []time.Duration{30 * time.Second},
		},
		{
			label: "GitHub headers, epoch seconds",
			header: func(call int) http.Header {
				if call == 1 {
					return http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(start.Unix() + 42)}}
				}
				return nil
			},
			wantSleep: []time.Duration{42 * time.Second},
		},
		{
			label: "reset too far",
			header: func(call int) http.Header {
				return http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(start.Unix() + 3600)}}
			},
			wantErr: pagerhttp.ErrQuotaSpent,
		},
		{
			label: "quota left",
			header: func(call int) http.Header {
				return http.Header{"Ratelimit-Remaining": {"1"}, "Ratelimit-Reset": {"30"}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				call := int(calls.Add(1))
				for k, v := range tt.header(call) {
					w.Header()[k] = v
				}
				if call <= 3 {
					fmt.Fprintf(w, `[{"id": %d}]`, call)
				} else {
					fmt.Fprint(w, `[]`)
				}
			}))
			defer srv.Close()
			clk := &pacing{now: start}
			ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t)})
			src := pager.Offset(pagerhttp.OffsetFetch[Rec](ep), pager.Retry(pager.RetryPolicy{Attempts: 3}))
			_, err := pager.Collect(pager.All(context.Background(), src))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantSleep, clk.slept); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if tt.wantErr != nil && calls.Load() != 1 {
				t.Errorf("got %d requests, want 1: the quota error is not retried", calls.Load())
			}
		})
	}
}

func TestQuotaWaitCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", "30")
		fmt.Fprint(w, `[{"id": 1}]`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ep := pagerhttp.WithClock(pagerhttp.Endpoint{URL: srv.URL, Client: client(t)}, nil, func(ctx context.Context, d time.Duration) error {
		cancel()
		return pagerhttp.Sleep(ctx, d) // the real sleep, woken by the cancel
	})
	_, err := pager.Collect(pager.All(ctx, pager.Offset(pagerhttp.OffsetFetch[Rec](ep))))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestEndpointPanics(t *testing.T) {
	for _, u := range []string{"", "/relative", "http://[::1"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "pagerhttp: OffsetFetch") {
					t.Errorf("URL %q: got panic %v, want a pager: panic", u, r)
				}
			}()
			pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: u})
		}()
	}
}

func TestPagesFromZero(t *testing.T) {
	var pages []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages = append(pages, r.URL.Query().Get("pageNo"))
		fmt.Fprintf(w, `{"content": [{"id": %d}], "totalPages": 2}`, len(pages))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Items: "content", TotalPages: "totalPages", PageParam: "pageNo", PagesFromZero: true}
	got, err := pager.Collect(pager.All(context.Background(), pager.PageNumber(pagerhttp.PageNumberFetch[Rec](ep))))
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v; want 2 records", got, err)
	}
	if diff := cmp.Diff([]string{"0", "1"}, pages); diff != "" {
		t.Errorf("pages asked (-want +got):\n%s", diff)
	}
}
