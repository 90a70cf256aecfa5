package pagerhttp_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// channel is a Slack conversation.
type channel struct{ ID, Name string }

// TestNestedCursor walks Slack's cursor, nested in response_metadata, ""
// on the last page: a dotted NextToken, as TokenFetch always read it.
func TestNestedCursor(t *testing.T) {
	checkStyle(t, style[channel]{n: 64,
		id: func(c channel) int { n, _ := strconv.Atoi(c.ID[1:]); return n },
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[channel] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Slack + "?types=public_channel", Client: c,
				Items: "channels", NextToken: "response_metadata.next_cursor", TokenParam: "cursor", LimitParam: "limit"}
			return pager.Token(pagerhttp.TokenFetch[channel](ep), append(opts, pager.PageSize(15))...)
		}})
}
