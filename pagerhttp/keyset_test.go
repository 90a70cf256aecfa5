package pagerhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// charge is a Stripe object.
type charge struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func chargeID(c charge) int { n, _ := strconv.Atoi(c.ID[len("ch_"):]); return n }

func TestKeysetStripe(t *testing.T) {
	checkStyle(t, style[charge]{n: 53, id: chargeID, want: descending(53),
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[charge] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Stripe, Client: c, Items: "data", LimitParam: "limit",
				Cursor: pagerhttp.LastItem("id"), SendCursor: pagerhttp.Query("starting_after")}
			return pager.Token(pagerhttp.TokenFetch[charge](ep), append(opts, pager.PageSize(10))...)
		}})
}

func TestKeysetSince(t *testing.T) {
	checkStyle(t, style[Rec]{n: 41, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Since, Client: c, LimitParam: "per_page",
				Cursor: pagerhttp.LastItem("id"), SendCursor: pagerhttp.Query("since")}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), append(opts, pager.PageSize(10))...)
		}})
}

func TestKeysetAfter(t *testing.T) {
	checkStyle(t, style[Rec]{n: 41, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.After, Client: c, Items: "posts", LimitParam: "limit",
				Cursor: pagerhttp.LastItem("created_at"), SendCursor: pagerhttp.Query("after")}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), append(opts, pager.PageSize(8))...)
		}})
}

// TestKeysetStuck walks a server that ignores starting_after: the second
// page's last item is the cursor it was asked with, an error, and none of
// its items is yielded again.
func TestKeysetStuck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"object": "list", "has_more": true, "data": [{"id": "ch_2"}, {"id": "ch_1"}]}`))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL, Items: "data", Cursor: pagerhttp.LastItem("id"), SendCursor: pagerhttp.Query("starting_after")}
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[charge](ep),
		pager.Retry(pager.RetryPolicy{Attempts: 3, MinDelay: time.Microsecond}))))
	if len(got) != 2 || !errors.Is(err, pager.ErrRepeatedToken) {
		t.Errorf("got %v and %v, want the first page's 2 items and ErrRepeatedToken", got, err)
	}
	var pe *pager.PageError
	if !errors.As(err, &pe) || pe.Checkpoint.Token != "ch_1" || pe.Attempts != 1 {
		t.Errorf("got %#v, want a *PageError at the token ch_1 after 1 attempt (not retried)", err)
	}
}

// TestKeysetEmptyButMore walks a server whose empty page says more
// follow: with no last item, the walk cannot go on, and says so rather
// than end as if the listing did.
func TestKeysetEmptyButMore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"object": "list", "has_more": true, "data": []}`))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL, Items: "data", Cursor: pagerhttp.LastItem("id"), SendCursor: pagerhttp.Query("starting_after")}
	_, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.TokenFetch[charge](ep))))
	if err == nil || !strings.Contains(err.Error(), `no items, but "has_more" is true`) {
		t.Errorf("got %v, want an error that says the page is empty while has_more is true", err)
	}
}
