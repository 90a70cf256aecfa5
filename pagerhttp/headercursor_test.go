package pagerhttp_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestHeaderCursor(t *testing.T) {
	for _, send := range []pagerhttp.Place{pagerhttp.Query("cursor"), pagerhttp.Header("X-Cursor")} {
		t.Run(send.String(), func(t *testing.T) {
			checkStyle(t, style[Rec]{n: 61, id: recID,
				src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
					ep := pagerhttp.Endpoint{URL: u + apisim.Cursors, Client: c, LimitParam: "limit",
						Cursor: pagerhttp.Header("X-Next-Cursor"), SendCursor: send}
					return pager.Token(pagerhttp.TokenFetch[Rec](ep), append(opts, pager.PageSize(9))...)
				}})
		})
	}
}

// job is a Nomad job stub.
type job struct{ ID, Name string }

func TestHeaderCursorNomad(t *testing.T) {
	checkStyle(t, style[job]{n: 37,
		id: func(j job) int { n, _ := strconv.Atoi(j.ID[len("job-"):]); return n },
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[job] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Nomad + "?namespace=default", Client: c, LimitParam: "per_page",
				Cursor: pagerhttp.Header("X-Nomad-NextToken"), SendCursor: pagerhttp.Query("next_token")}
			return pager.Token(pagerhttp.TokenFetch[job](ep), append(opts, pager.PageSize(5))...)
		}})
}
