package pagerhttp

import (
	"fmt"
	"strconv"
	"strings"
)

// A Place says where a cursor is. In a response, [Endpoint.Cursor] is
// where the next page's cursor is read: a field of the body
// ([BodyField]), a field of the page's last item ([LastItem]), or
// headers ([Header]). In a request, [Endpoint.SendCursor] is where it is
// sent: query parameters ([Query]), headers ([Header]), or a field of
// [Endpoint.Body] ([BodyField]). The zero Place is the walk's default.
//
// A cursor read from a JSON string is that string; from a number, the
// number as written; from an object with an "href" (a HAL or JSON:API
// link), the href; from any other JSON value (Elasticsearch's sort
// array), its JSON text. A cursor of several headers is sent to as many
// query parameters or headers, paired in order; a cursor sent to a body
// field goes there as a JSON string, or as JSON if it is an array or an
// object.
type Place struct {
	kind  placeKind
	names []string
}

type placeKind uint8

const (
	nowhere    placeKind = iota
	inBody               // a field of a JSON body
	inLastItem           // a field of the page's last item
	inHeader             // headers
	inQuery              // query parameters
)

// BodyField is the field at path, a dotted path as for [Endpoint.Items],
// of a response's body ("next_cursor", "response_metadata.next_cursor",
// "@odata.nextLink") or of [Endpoint.Body] ("start_cursor").
func BodyField(path string) Place { return Place{inBody, []string{path}} }

// LastItem is the field at path of the last item of a page (Stripe's
// "id", Elasticsearch's "sort"): a keyset cursor.
func LastItem(path string) Place { return Place{inLastItem, []string{path}} }

// Header is one or more HTTP headers: X-Next-Cursor; Azure Table's
// x-ms-continuation-NextPartitionKey and x-ms-continuation-NextRowKey.
func Header(names ...string) Place { return Place{inHeader, names} }

// Query is one or more query parameters of a request.
func Query(names ...string) Place { return Place{inQuery, names} }

// String returns p as Go code would build it: Header("X-Next-Cursor").
func (p Place) String() string {
	kinds := [...]string{"Place", "BodyField", "LastItem", "Header", "Query"}
	names := make([]string, len(p.names))
	for i, name := range p.names {
		names[i] = strconv.Quote(name)
	}
	return fmt.Sprintf("%s(%s)", kinds[p.kind], strings.Join(names, ", "))
}

// styled reports whether e sets any field of styles.go that [TokenFetch]
// reads.
func (e *Endpoint) styled() bool {
	return e.Cursor.kind != nowhere || e.SendCursor.kind != nowhere || e.Body != ""
}

// A dialect is what a helper's walk reads differently from [TokenFetch]'s.
type dialect struct {
	changes bool // ChangesFetch: caught up is the end
	graphQL bool // GraphQLFetch: items from a connection, errors in the body
}
