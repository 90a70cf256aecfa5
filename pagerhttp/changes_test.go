package pagerhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// change is a row of CouchDB's _changes.
type change struct {
	Seq any    `json:"seq"`
	ID  string `json:"id"`
}

func changeID(c change) int { n, _ := strconv.Atoi(strings.TrimPrefix(c.ID, "record-")); return n }

func TestChanges(t *testing.T) {
	const n = 43
	tests := []struct {
		label    string
		path     string
		requests int64
		reason   string
	}{
		{"pending", apisim.Changes, 5, "pending: 0 on the fifth page ends the walk"},
		{"no pending", apisim.Changes1, 6, "CouchDB 1.x: the sixth page, empty with last_seq = since, is caught up"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			src := func(u string, c *http.Client, opts ...pager.Option) pager.Source[change] {
				ep := pagerhttp.Endpoint{URL: u + tt.path + "?feed=normal", Client: c}
				return pager.Token(pagerhttp.ChangesFetch[change](ep), append(opts, pager.PageSize(10))...)
			}
			checkStyle(t, style[change]{n: n, id: changeID, src: src})
			s := sim(t, apisim.Config{N: n})
			if _, err := pager.Collect(pager.All(context.Background(), src(s.URL, client(t)))); err != nil {
				t.Fatal(err)
			}
			if got := s.Stats().Requests; got != tt.requests {
				t.Errorf("got %d requests, want %d: %s", got, tt.requests, tt.reason)
			}
		})
	}
}

// TestChangesCaughtUpAtOnce starts a walk where the feed is caught up:
// one empty page, no error.
func TestChangesCaughtUpAtOnce(t *testing.T) {
	s := sim(t, apisim.Config{N: 5})
	ep := pagerhttp.Endpoint{URL: s.URL + apisim.Changes1, Client: client(t)}
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.ChangesFetch[change](ep), pager.StartToken("5"))))
	if len(got) != 0 || err != nil {
		t.Errorf("got %v and %v, want nothing and no error", got, err)
	}
}

// TestChangesCycle walks a feed that hands back, with changes, a seq
// already used: a true cycle, still ErrRepeatedToken.
func TestChangesCycle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"results": [{"seq": 2, "id": "record-000002"}], "last_seq": 2}`))
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL}
	got, err := pager.Collect(pager.All(context.Background(), pager.Token(pagerhttp.ChangesFetch[change](ep))))
	if len(got) != 2 || !errors.Is(err, pager.ErrRepeatedToken) {
		t.Errorf("got %d changes and %v, want 2 and ErrRepeatedToken", len(got), err)
	}
}
