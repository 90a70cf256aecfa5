package pagerhttp_test

import (
	"net/http"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestPostBodyNotion(t *testing.T) {
	checkStyle(t, style[Rec]{n: 51, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{
				URL:        u + apisim.Notion + "897e5a76ae524b489fdfe71f5945d1af/query",
				Client:     c,
				Header:     http.Header{"Notion-Version": {"2022-06-28"}},
				Body:       `{"filter": {"property": "Status", "select": {"equals": "ok"}}}`,
				LimitParam: "page_size",
				Items:      "results",
				Cursor:     pagerhttp.BodyField("next_cursor"),
				SendCursor: pagerhttp.BodyField("start_cursor"),
			}
			return pager.Token(pagerhttp.TokenFetch[Rec](ep), append(opts, pager.PageSize(10))...)
		}})
}

// hit is an Elasticsearch hit.
type hit struct {
	ID     string `json:"_id"`
	Source Rec    `json:"_source"`
}

func TestPostBodySearchAfter(t *testing.T) {
	checkStyle(t, style[hit]{n: 46, id: func(h hit) int { return h.Source.ID },
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[hit] {
			ep := pagerhttp.Endpoint{
				URL:        u + apisim.Search,
				Client:     c,
				Body:       `{"query": {"match_all": {}}, "sort": [{"created_at": "asc"}, {"id": "asc"}]}`,
				LimitParam: "size",
				Items:      "hits.hits",
				Cursor:     pagerhttp.LastItem("sort"),
				SendCursor: pagerhttp.BodyField("search_after"),
			}
			return pager.Token(pagerhttp.TokenFetch[hit](ep), append(opts, pager.PageSize(10))...)
		}})
}
