package pagerhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// Hostile servers, on loopback: each test is one finding of issue 12,
// and fails without the fix it names.

// secretHeader is what a caller sends to its API: every one of them must
// stay with the API's origin.
func secretHeader() http.Header {
	return http.Header{
		"Authorization": {"Bearer s3cret-bearer"},
		"X-Api-Key":     {"s3cret-key"},
		"Cookie":        {"session=s3cret-cookie"},
	}
}

// leaks returns the secrets among h's values.
func leaks(h http.Header) []string {
	var out []string
	for k, vv := range h {
		for _, v := range vv {
			if strings.Contains(v, "s3cret") {
				out = append(out, k+": "+v)
			}
		}
	}
	return out
}

// recorder is a server that records the requests it gets.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newRecorder(t *testing.T, tls bool, h func(w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rec := &recorder{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r)
		rec.mu.Unlock()
		h(w, r)
	})
	if tls {
		rec.Server = httptest.NewTLSServer(handler)
	} else {
		rec.Server = httptest.NewServer(handler)
	}
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func (r *recorder) host() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.URL, "http://"), "https://")
}

// linkPage answers one item and a Link to next, if not "".
func linkPage(next string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if next != "" {
			w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", next))
		}
		fmt.Fprint(w, `[{"id": 1}]`)
	}
}

var retry5 = pager.Retry(pager.RetryPolicy{Attempts: 5, MinDelay: time.Microsecond, MaxDelay: time.Microsecond})

// TestLinkLeavesOrigin: a Link header names another origin (another
// port, http from https, another scheme); the walk ends with an
// *OriginError naming the host, not the query, and nothing is sent there.
func TestLinkLeavesOrigin(t *testing.T) {
	evil := newRecorder(t, false, linkPage(""))
	evilTLS := newRecorder(t, true, linkPage(""))
	tests := []struct {
		label    string
		tls      bool // the origin is https
		next     func(origin string) string
		wantHost string
		reason   string
	}{
		{"another port", false, func(string) string { return evil.URL + "/steal?api_key=s3cret-q" }, evil.host(), "another port is another origin"},
		{"another host, by name", false, func(string) string { return "http://localhost:1/x?token=s3cret-q" }, "localhost:1", "no connection is even tried"},
		{"https to http", true, func(o string) string { return strings.Replace(o, "https://", "http://", 1) + "/next?sig=s3cret-q" }, "", "a downgrade on the same host and port"},
		{"https to another https", true, func(string) string { return evilTLS.URL + "/next" }, evilTLS.host(), "another port"},
		{"file scheme", false, func(string) string { return "file:///etc/passwd" }, "", "only http(s) is followed"},
		{"javascript scheme", false, func(string) string { return "javascript:alert(1)" }, "", "only http(s) is followed"},
	}
	// The next URL comes in a Link header, or in the body (NextURL).
	walks := []struct {
		label string
		page  func(next string) func(w http.ResponseWriter, r *http.Request)
		src   func(ep pagerhttp.Endpoint) pager.Source[Rec]
	}{
		{"Link", linkPage, func(ep pagerhttp.Endpoint) pager.Source[Rec] { return pagerhttp.Link[Rec](ep, retry5) }},
		{"NextURL", bodyNextPage, func(ep pagerhttp.Endpoint) pager.Source[Rec] {
			ep.Items = "results"
			return pagerhttp.NextURL[Rec](ep, retry5)
		}},
	}
	for _, walk := range walks {
		for _, tt := range tests {
			t.Run(walk.label+"/"+tt.label, func(t *testing.T) {
				testLeavesOrigin(t, tt.tls, tt.next, tt.wantHost, tt.reason, walk.page, walk.src, evil, evilTLS)
			})
		}
	}
}

// bodyNextPage answers a page of one item that names next in its body, as
// Django REST framework does.
func bodyNextPage(next string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := json.Marshal(next)
		if next == "" {
			n = []byte("null")
		}
		fmt.Fprintf(w, `{"results": [{"id": 1}], "next": %s}`, n)
	}
}

// testLeavesOrigin walks src over a server whose page names the next URL
// nextOf(its own URL), and checks that the walk ends there.
func testLeavesOrigin(t *testing.T, tls bool, nextOf func(string) string, wantHost, reason string,
	page func(next string) func(w http.ResponseWriter, r *http.Request), src func(pagerhttp.Endpoint) pager.Source[Rec], evil, evilTLS *recorder) {
	t.Helper()
	var next string
	origin := newRecorder(t, tls, func(w http.ResponseWriter, r *http.Request) { page(next)(w, r) })
	next = nextOf(origin.URL)
	before := len(evil.requests()) + len(evilTLS.requests())
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Header: secretHeader(), Client: origin.Client()}
	items, err := pager.Collect(pager.All(context.Background(), src(ep)))
	var oe *pagerhttp.OriginError
	var pe *pager.PageError
	if !errors.As(err, &oe) || !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PageError around an *OriginError: %s", err, reason)
	}
	if len(items) != 1 || pe.Attempts != 1 {
		t.Errorf("got %d items and %d attempts, want the first page's item and 1 attempt (not retried)", len(items), pe.Attempts)
	}
	if wantHost != "" && oe.Host != wantHost {
		t.Errorf("got host %q, want %q", oe.Host, wantHost)
	}
	if msg := oe.Error(); strings.Contains(msg, "s3cret") || !strings.HasPrefix(msg, "pagerhttp: ") {
		t.Errorf("got message %q: want pagerhttp: …, without the query", msg)
	}
	if n := len(evil.requests()) + len(evilTLS.requests()) - before; n != 0 {
		t.Errorf("the other origin got %d requests, want 0", n)
	}
	if n := len(origin.requests()); n != 1 {
		t.Errorf("the origin got %d requests, want 1", n)
	}
}

// TestStartTokenLeavesOrigin: a resume token for Link is a URL too.
func TestStartTokenLeavesOrigin(t *testing.T) {
	evil := newRecorder(t, false, linkPage(""))
	origin := newRecorder(t, false, linkPage(""))
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Header: secretHeader(), Client: client(t)}
	src := pagerhttp.Link[Rec](ep, pager.StartToken(evil.URL+"/items?page=2"), retry5)
	_, err := pager.Collect(pager.All(context.Background(), src))
	var oe *pagerhttp.OriginError
	if !errors.As(err, &oe) || oe.Host != evil.host() {
		t.Fatalf("got %v, want an *OriginError for %s", err, evil.host())
	}
	if n := len(evil.requests()) + len(origin.requests()); n != 0 {
		t.Errorf("got %d requests, want none", n)
	}
}

// TestAllowHosts: the caller may trust more hosts; a downgrade stays
// refused.
func TestAllowHosts(t *testing.T) {
	other := newRecorder(t, false, linkPage(""))
	origin := newRecorder(t, false, linkPage(other.URL+"/page2"))
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Header: secretHeader(), Client: client(t), AllowHosts: []string{other.host()}}
	items, err := pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](ep)))
	if err != nil || len(items) != 2 {
		t.Fatalf("got %d items and %v, want 2 and no error", len(items), err)
	}
	if reqs := other.requests(); len(reqs) != 1 || reqs[0].Header.Get("X-Api-Key") != "s3cret-key" {
		t.Errorf("the allowed host got %d requests, want 1 with the caller's headers", len(reqs))
	}
}

// TestRedirectDropsHeaders: the origin redirects to another origin, which
// answers with a relative next link. net/http drops only Authorization and
// cookies on a redirect to another host (and keeps them for another port of
// the same host); then pager followed the relative link with every header.
func TestRedirectDropsHeaders(t *testing.T) {
	for _, withClient := range []bool{false, true} {
		t.Run(fmt.Sprintf("caller's client: %t", withClient), func(t *testing.T) {
			other := newRecorder(t, false, linkPage("/page2"))
			origin := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/page1", http.StatusFound)
			})
			redirects := 0
			ep := pagerhttp.Endpoint{URL: origin.URL + "/items?api_key=s3cret-q", Header: secretHeader()}
			if withClient {
				ep.Client = client(t)
				ep.Client.CheckRedirect = func(*http.Request, []*http.Request) error { redirects++; return nil }
			}
			items, err := pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](ep, retry5)))
			var oe *pagerhttp.OriginError
			if !errors.As(err, &oe) || oe.Host != other.host() || len(items) != 1 {
				t.Fatalf("got %d items and %v, want 1 and an *OriginError for the relative link on %s", len(items), err, other.host())
			}
			reqs := other.requests()
			if len(reqs) != 1 {
				t.Fatalf("the other origin got %d requests, want 1: the redirect, not the next link", len(reqs))
			}
			if l := leaks(reqs[0].Header); len(l) > 0 {
				t.Errorf("the redirect carried %v", l)
			}
			if ref := reqs[0].Header.Get("Referer"); ref != "" {
				t.Errorf("the redirect carried Referer %q", ref)
			}
			if withClient && redirects != 1 {
				t.Errorf("the caller's CheckRedirect ran %d times, want 1", redirects)
			}
		})
	}
}

// TestRedirectSameOrigin: a redirect within the origin keeps the headers.
func TestRedirectSameOrigin(t *testing.T) {
	origin := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/items" {
			http.Redirect(w, r, "/v2/items", http.StatusMovedPermanently)
			return
		}
		linkPage("")(w, r)
	})
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Header: secretHeader(), Client: client(t)}
	if _, err := pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](ep))); err != nil {
		t.Fatal(err)
	}
	reqs := origin.requests()
	if len(reqs) != 2 || reqs[1].Header.Get("X-Api-Key") != "s3cret-key" {
		t.Errorf("got %d requests, the last with X-Api-Key %q; want 2, with it", len(reqs), reqs[len(reqs)-1].Header.Get("X-Api-Key"))
	}
}

// TestOriginPanics: an Endpoint whose origin rule cannot be kept is a
// programmer's mistake.
func TestOriginPanics(t *testing.T) {
	for _, ep := range []pagerhttp.Endpoint{
		{URL: "ftp://example.com/x"},
		{URL: "https://api.example.com", AllowHosts: []string{"https://api2.example.com"}},
		{URL: "https://api.example.com", AllowHosts: []string{""}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "pagerhttp: ") {
					t.Errorf("%+v: got panic %v, want a pagerhttp: panic", ep, r)
				}
			}()
			pagerhttp.OffsetFetch[Rec](ep)
		}()
	}
}

// TestOriginErrorMessage: the message names where, never the query.
func TestOriginErrorMessage(t *testing.T) {
	origin := newRecorder(t, false, linkPage(""))
	for _, tt := range []struct{ start, want string }{
		{"javascript:alert(1)", "pagerhttp: refused to request javascript:: only http and https are followed"},
		{"/items?page=2&token=s3cret", "pagerhttp: refused to request a relative URL: a next URL must be absolute"},
		{"https://evil.example:8443/x?token=s3cret", "pagerhttp: refused to request https://evil.example:8443: another origin than http://127.0.0.1:"},
	} {
		src := pagerhttp.Link[Rec](pagerhttp.Endpoint{URL: origin.URL, Client: client(t)}, pager.StartToken(tt.start))
		_, err := pager.Collect(pager.All(context.Background(), src))
		var oe *pagerhttp.OriginError
		if !errors.As(err, &oe) || !strings.HasPrefix(oe.Error(), tt.want) {
			t.Errorf("StartToken(%q): got %v, want %q…", tt.start, err, tt.want)
		}
	}
	if n := len(origin.requests()); n != 0 {
		t.Errorf("got %d requests, want none", n)
	}
}

// TestRedirectDowngrade: an https origin redirects to http. The walk ends
// with an *OriginError naming the host, and nothing is requested in clear.
func TestRedirectDowngrade(t *testing.T) {
	plain := newRecorder(t, false, linkPage(""))
	origin := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/page1", http.StatusFound)
	})
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Header: secretHeader(), Client: origin.Client()}
	_, err := pager.Collect(pager.All(context.Background(), pagerhttp.Link[Rec](ep)))
	var oe *pagerhttp.OriginError
	if !errors.As(err, &oe) {
		t.Fatalf("got %v, want an *OriginError", err)
	}
	if want := strings.TrimPrefix(plain.URL, "http://"); oe.Host != want || !strings.Contains(err.Error(), "down from https to http") {
		t.Errorf("got %q (host %q), want the refused host %q and the reason", err, oe.Host, want)
	}
	if n := len(plain.requests()); n != 0 {
		t.Fatalf("got %d requests in clear, want none", n)
	}
	if n := len(origin.requests()); n != 1 {
		t.Errorf("the origin got %d requests, want 1: a refused redirect is not retried", n)
	}
}

// TestRedirectDropsCursorHeader: a cursor sent in a header (SendCursor:
// Header) is the caller's as much as its API key: a redirect to another
// origin carried it until the headers to drop included it.
func TestRedirectDropsCursorHeader(t *testing.T) {
	other := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": [{"id": 2}]}`)
	})
	origin := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Cursor") != "" {
			http.Redirect(w, r, other.URL+"/page2", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("X-Next-Cursor", "s3cret-cursor")
		fmt.Fprint(w, `{"data": [{"id": 1}]}`)
	})
	ep := pagerhttp.Endpoint{URL: origin.URL + "/items", Client: client(t), Items: "data",
		Cursor: pagerhttp.Header("X-Next-Cursor"), SendCursor: pagerhttp.Header("X-Cursor")}
	items, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[Rec](ep))))
	if err != nil || len(items) != 2 {
		t.Fatalf("got %d items and %v, want 2 and no error", len(items), err)
	}
	reqs := other.requests()
	if len(reqs) != 1 {
		t.Fatalf("the other origin got %d requests, want 1", len(reqs))
	}
	if l := leaks(reqs[0].Header); len(l) > 0 {
		t.Errorf("the redirect carried %v", l)
	}
}

// TestRedirectKeepsBody: a POST whose body holds the caller's query (and
// its cursor) is redirected with 307 or 308, which resend the body: to
// another origin, that is refused with an *OriginError before anything
// is sent there; within the origin, or to an allowed host, it is followed.
func TestRedirectKeepsBody(t *testing.T) {
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, allow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/allowed=%t", code, allow), func(t *testing.T) {
				var mu sync.Mutex
				var bodies []string
				other := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					mu.Lock()
					bodies = append(bodies, string(b))
					mu.Unlock()
					fmt.Fprint(w, `{"results": [{"id": 1}], "next_cursor": null}`)
				})
				origin := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, other.URL+"/v1/query", code)
				})
				ep := pagerhttp.Endpoint{URL: origin.URL + "/v1/query", Client: client(t), Header: secretHeader(),
					Body: `{"filter": {"owner": "s3cret-owner"}}`, Items: "results",
					Cursor: pagerhttp.BodyField("next_cursor"), SendCursor: pagerhttp.BodyField("start_cursor")}
				if allow {
					ep.AllowHosts = []string{other.host()}
				}
				items, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[Rec](ep), retry5)))
				mu.Lock()
				defer mu.Unlock()
				if allow {
					if err != nil || len(items) != 1 || len(bodies) != 1 || !strings.Contains(bodies[0], "s3cret-owner") {
						t.Fatalf("got %d items, %v, bodies %q: want the allowed host to get the POST with its body", len(items), err, bodies)
					}
					return
				}
				var oe *pagerhttp.OriginError
				var pe *pager.PageError
				if !errors.As(err, &oe) || !errors.As(err, &pe) || oe.Host != other.host() {
					t.Fatalf("got %v, want a *PageError around an *OriginError for %s", err, other.host())
				}
				if pe.Attempts != 1 {
					t.Errorf("got %d attempts, want 1: not retried", pe.Attempts)
				}
				if msg := err.Error(); !strings.Contains(msg, "its body is not sent there") || strings.Contains(msg, "s3cret") {
					t.Errorf("got message %q", msg)
				}
				if n := len(other.requests()); n != 0 {
					t.Errorf("the other origin got %d requests, want 0", n)
				}
			})
		}
	}
}
