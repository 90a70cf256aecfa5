package pagerhttp_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

// entity is an Azure Table entity.
type entity struct {
	PartitionKey, RowKey, Name string
}

func azureSource(u string, c *http.Client, opts ...pager.Option) pager.Source[entity] {
	ep := pagerhttp.Endpoint{
		URL:        u + apisim.Azure,
		Client:     c,
		LimitParam: "$top",
		Items:      "value",
		Cursor:     pagerhttp.Header("x-ms-continuation-NextPartitionKey", "x-ms-continuation-NextRowKey"),
		SendCursor: pagerhttp.Query("NextPartitionKey", "NextRowKey"),
	}
	return pager.Token(pagerhttp.TokenFetch[entity](ep), append(opts, pager.PageSize(40))...)
}

func TestSeveralHeaders(t *testing.T) {
	checkStyle(t, style[entity]{n: 250, src: azureSource,
		id: func(e entity) int { n, _ := strconv.Atoi(e.RowKey); return n }})
}

// TestSeveralHeadersPages checks the pages of an Azure walk: they end at
// each partition's end, and the continuation from there is answered with
// an empty page, walked through.
func TestSeveralHeadersPages(t *testing.T) {
	s := sim(t, apisim.Config{N: 250})
	var got []int
	var tokens []string
	for p, err := range azureSource(s.URL, client(t)).Pages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, len(p.Items))
		tokens = append(tokens, p.Token)
	}
	want := []int{40, 40, 20, 0, 40, 40, 20, 0, 40, 10}
	if !slices.Equal(got, want) {
		t.Fatalf("got pages of %v, want %v", got, want)
	}
	if tokens[3] != "NextPartitionKey=p0000&NextRowKey=~" {
		t.Errorf("got the token %q for the fourth page, want both headers in one", tokens[3])
	}
}
