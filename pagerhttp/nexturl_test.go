package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
)

func TestNextURLDRF(t *testing.T) {
	checkStyle(t, style[Rec]{n: 47, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.DRF, Client: c, Items: "results", LimitParam: "page_size"}
			return pagerhttp.NextURL[Rec](ep, append(opts, pager.PageSize(10))...)
		}})
}

// resource is a JSON:API resource object.
type resource struct {
	Type       string
	ID         string
	Attributes Rec
}

func TestNextURLJSONAPI(t *testing.T) {
	checkStyle(t, style[resource]{n: 33,
		id: func(r resource) int { n, _ := strconv.Atoi(r.ID); return n },
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[resource] {
			ep := pagerhttp.Endpoint{URL: u + apisim.JSONAPI, Client: c, Items: "data",
				Cursor: pagerhttp.BodyField("links.next"), LimitParam: "page[size]"}
			return pagerhttp.NextURL[resource](ep, append(opts, pager.PageSize(4))...)
		}})
}

func TestNextURLHAL(t *testing.T) {
	checkStyle(t, style[Rec]{n: 45, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.HAL, Client: c, Items: "_embedded.records",
				Cursor: pagerhttp.BodyField("_links.next.href"), LimitParam: "size"}
			return pagerhttp.NextURL[Rec](ep, append(opts, pager.PageSize(7))...)
		}})
}

func TestNextURLOData(t *testing.T) {
	checkStyle(t, style[Rec]{n: 45, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.OData + "?$select=id,name", Client: c, Items: "value",
				Cursor: pagerhttp.BodyField("@odata.nextLink"), LimitParam: "$top"}
			return pagerhttp.NextURL[Rec](ep, append(opts, pager.PageSize(10))...)
		}})
}

// sobject is a Salesforce record.
type sobject struct {
	ID   string `json:"Id"`
	Name string
}

func TestNextURLSalesforce(t *testing.T) {
	checkStyle(t, style[sobject]{n: 450,
		id: func(r sobject) int { n, _ := strconv.Atoi(r.ID[5:]); return n },
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[sobject] {
			ep := pagerhttp.Endpoint{URL: u + apisim.Salesforce + "?q=SELECT+Id,Name+FROM+Record__c", Client: c,
				Header: http.Header{"Sforce-Query-Options": {"batchSize=200"}},
				Items:  "records", Cursor: pagerhttp.BodyField("nextRecordsUrl")}
			return pagerhttp.NextURL[sobject](ep, opts...)
		}})
}

func TestNextURLJSONServer(t *testing.T) {
	checkStyle(t, style[Rec]{n: 25, id: recID,
		src: func(u string, c *http.Client, opts ...pager.Option) pager.Source[Rec] {
			ep := pagerhttp.Endpoint{URL: u + apisim.JSONServer, Client: c, Items: "data",
				PageParam: "_page", LimitParam: "_per_page"}
			return pagerhttp.NextURL[Rec](ep, append(opts, pager.PageSize(6))...)
		}})
}

// TestNextURLCycle walks a server whose second page names itself as
// next: ErrRepeatedToken, with each page yielded once.
func TestNextURLCycle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"results": [{"id": %d}], "next": "/things/?page=2"}`, len(r.URL.Query().Get("page"))+1)
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL + "/things/", Items: "results"}
	got, err := pager.Collect(pager.All(context.Background(), pagerhttp.NextURL[Rec](ep)))
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 2 || !errors.Is(err, pager.ErrRepeatedToken) {
		t.Errorf("got %v and %v, want records 1 and 2 and ErrRepeatedToken", got, err)
	}
}

// TestNextURLInHeader walks next URLs given in a header, relative.
func TestNextURLInHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("p"))
		if n < 3 {
			w.Header().Set("X-Next-Page-Url", fmt.Sprintf("items?p=%d", n+1))
		}
		fmt.Fprintf(w, `[{"id": %d}]`, n)
	}))
	defer srv.Close()
	ep := pagerhttp.Endpoint{URL: srv.URL + "/v2/items?p=0", Cursor: pagerhttp.Header("X-Next-Page-Url")}
	got, err := pager.Collect(pager.All(context.Background(), pagerhttp.NextURL[Rec](ep)))
	if err != nil || len(got) != 4 || got[3].ID != 3 {
		t.Errorf("got %v and %v, want records 0 to 3", got, err)
	}
}
