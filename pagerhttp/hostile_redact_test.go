package pagerhttp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		label, in, want string
	}{
		{"api_key", "https://api.example.com/v1/runs?status=failed&api_key=s3cret", "https://api.example.com/v1/runs?status=failed&api_key=REDACTED"},
		{"case, order kept", "https://h/x?b=1&API_KEY=s3cret&a=2&Access_Token=s3cret", "https://h/x?b=1&API_KEY=REDACTED&a=2&Access_Token=REDACTED"},
		{"each name", "https://h/?apikey=s3cret&token=s3cret&key=s3cret&signature=s3cret&sig=s3cret&password=s3cret&secret=s3cret&client_secret=s3cret&auth=s3cret",
			"https://h/?apikey=REDACTED&token=REDACTED&key=REDACTED&signature=REDACTED&sig=REDACTED&password=REDACTED&secret=REDACTED&client_secret=REDACTED&auth=REDACTED"},
		{"suffixes", "https://h/?X-Amz-Signature=s3cret&refresh_token=s3cret&private_key=s3cret&page=2", "https://h/?X-Amz-Signature=REDACTED&refresh_token=REDACTED&private_key=REDACTED&page=2"},
		{"escaped name", "https://h/?api%5Fkey=s3cret", "https://h/?api_key=REDACTED"},
		{"page token kept", "https://h/?pageToken=abc&cursor=def", "https://h/?pageToken=abc&cursor=def"},
		{"userinfo", "https://user:s3cret@h/x", "https://user:xxxxx@h/x"},
		{"fragment", "https://h/cb#access_token=s3cret&state=1", "https://h/cb#access_token=REDACTED&state=1"},
		{"not a URL", "https://h/x?api_key=s3cret%zz\x7f", "https://h/x"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			if got := pagerhttp.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// rawServer answers every request on a connection of its own with resp,
// written as is: a server can send what net/http's server would not.
func rawServer(t *testing.T, resp string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				fmt.Fprint(c, resp)
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestHTTPErrorSafe: a hostile error response cannot set the terminal's
// title, fake a message on a new line, or hand its cookie to a log; the
// request's key stays out of the message.
func TestHTTPErrorSafe(t *testing.T) {
	body := "\x1b]0;pwned\x07\x1b[2J\r\nexport complete: 0 errors\n" + strings.Repeat("z", 5000)
	resp := "HTTP/1.1 500 Oops\x1b[31m red\r\n" +
		"Set-Cookie: sid=s3cret-cookie\r\n" +
		fmt.Sprintf("Content-Length: %d\r\nConnection: close\r\n\r\n", len(body)) + body
	u := rawServer(t, resp)
	_, err := pagerhttp.OffsetFetch[Rec](pagerhttp.Endpoint{URL: u + "/x?api_key=s3cret-key", Client: client(t)})(context.Background(), pager.Request{Limit: 10})
	var he *pagerhttp.HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("got %v, want an *HTTPError", err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\x1b\x07\r\n") {
		t.Errorf("the message holds control characters: %q", msg)
	}
	if strings.Contains(msg, "s3cret") || strings.Contains(he.URL, "s3cret") {
		t.Errorf("the message or URL holds the key: %q, %q", msg, he.URL)
	}
	if !strings.Contains(msg, `\x1b]0;pwned\a`) {
		t.Errorf("got %q, want the escape sequence escaped", msg)
	}
	if len(msg) > 600 {
		t.Errorf("got a message of %d bytes, want the body capped", len(msg))
	}
	if he.Header.Get("Set-Cookie") != "" {
		t.Errorf("HTTPError.Header keeps Set-Cookie %q", he.Header.Get("Set-Cookie"))
	}
}

// TestErrorsRedacted: every error pagerhttp makes from a URL with a key.
func TestErrorsRedacted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() // nothing listens there once closed
	ln.Close()
	bad := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"oops": true}`) })
	big := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[`+strings.Repeat(" ", 2000)+`]`) })
	for _, tt := range []struct{ label, url string }{
		{"connection refused", refused},
		{"decode error", bad.URL},
		{"too large", big.URL},
	} {
		t.Run(tt.label, func(t *testing.T) {
			ep := pagerhttp.Endpoint{URL: tt.url + "/x?access_token=s3cret-key&q=1", Client: client(t), MaxBodySize: 1000}
			_, err := pager.Collect(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep))))
			if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "pagerhttp: GET "+tt.url+"/x?access_token=REDACTED") {
				t.Errorf("got %v, want pagerhttp: GET with the token redacted", err)
			}
		})
	}
}

// TestRedactCamelCase: secrets spelled in camelCase are secrets too, page
// tokens are not.
func TestRedactCamelCase(t *testing.T) {
	got := pagerhttp.Redact("https://h/x?accessToken=a1&clientSecret=b2&authToken=c3&sessionToken=d4&pageToken=p&nextToken=n")
	want := "https://h/x?accessToken=REDACTED&clientSecret=REDACTED&authToken=REDACTED&sessionToken=REDACTED&pageToken=p&nextToken=n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRepeatAcrossWalks walks a queue twice, its first page consumed in
// between: the second walk's first page holds what was the second page,
// and is no repeat.
func TestRepeatAcrossWalks(t *testing.T) {
	queue := []int{1, 2, 3, 4}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		page := queue[min(off, len(queue)):min(off+2, len(queue))]
		json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	src := pager.Offset(pagerhttp.OffsetFetch[int](pagerhttp.Endpoint{URL: srv.URL, Client: srv.Client()}), pager.PageSize(2))
	first, err := pager.Collect(pager.All(context.Background(), src))
	if err != nil || len(first) != 4 {
		t.Fatalf("first walk: %v, %v", first, err)
	}
	queue = queue[2:]
	second, err := pager.Collect(pager.All(context.Background(), src))
	if err != nil || !slices.Equal(second, []int{3, 4}) {
		t.Errorf("second walk: got %v and %v, want [3 4] and no error", second, err)
	}
}

// TestTokenHasMoreFalse: has_more false ends a token walk, even on a page
// that carries a token, as the cursor styles do.
func TestTokenHasMoreFalse(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{"data": [1, 2], "nextPageToken": "t2", "has_more": false}`)
	}))
	defer srv.Close()
	src := pager.Token(pagerhttp.TokenFetch[int](pagerhttp.Endpoint{URL: srv.URL, Client: srv.Client(), Items: "data"}))
	got, err := pager.Collect(pager.All(context.Background(), src))
	if err != nil || len(got) != 2 || calls.Load() != 1 {
		t.Errorf("got %v and %v after %d requests, want 2 items, no error, 1 request", got, err, calls.Load())
	}
}
