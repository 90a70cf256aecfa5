package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// tokenFields are the names under which APIs hand out the next page's token.
var tokenFields = []string{"nextPageToken", "next_page_token", "nextCursor", "next_cursor", "next_token", "nextToken"}

// itemFields are the usual names of the field that holds the items, in
// order of preference when a body has several arrays.
var itemFields = []string{"items", "data", "results", "records", "entries", "values"}

// detect asks for the URL as it stands, and sets o's style (unless set)
// and items field (unless set) from the answer.
func detect(ctx context.Context, client *http.Client, o *options) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
	if err != nil {
		return err
	}
	req.Header = o.headers.header()
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("detecting the style: %w", err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode/100 == 2 && isNDJSON(ct) {
		if o.style == "" {
			o.style = "ndjson" // a stream: no need to read it to know
		}
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("detecting the style: GET %s: %w", o.url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("detecting the style: GET %s: %s: %.200s", o.url, resp.Status, strings.TrimSpace(string(body)))
	}
	style, items, err := guess(resp.Header, body, o.items)
	if err != nil {
		return fmt.Errorf("detecting the style of %s: %w; say it with -style and -items", o.url, err)
	}
	if o.style == "" {
		o.style = style
	}
	o.items = items
	if o.style == "token" && o.nextField == "" {
		o.nextField = present(body, tokenFields)
	}
	return nil
}

// guess returns the style and items field of a listing whose first page
// came with header and body; items, if not "", is the items field given.
func guess(header http.Header, body []byte, items string) (style, field string, err error) {
	style = "offset"
	if hasNextLink(header) {
		style = "link"
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) != nil {
			return "", "", fmt.Errorf("the body is neither a JSON object nor an array")
		}
		return style, "", nil
	}
	switch {
	case style == "link":
	case present(body, tokenFields) != "":
		style = "token"
	case obj["total_pages"] != nil || obj["page"] != nil && obj["per_page"] != nil:
		style = "page"
	}
	if items != "" {
		return style, items, nil
	}
	var arrays []string
	for name, raw := range obj {
		if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "[") {
			arrays = append(arrays, name)
		}
	}
	sort.Strings(arrays)
	switch {
	case len(arrays) == 1:
		return style, arrays[0], nil
	case len(arrays) == 0:
		return "", "", fmt.Errorf("no field of the body holds an array")
	}
	for _, name := range itemFields {
		if slices.Contains(arrays, name) {
			return style, name, nil
		}
	}
	return "", "", fmt.Errorf("several fields hold arrays (%s)", strings.Join(arrays, ", "))
}

// present returns the first of names that is a field of body, a JSON
// object, even if null, or "".
func present(body []byte, names []string) string {
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(body, &obj)
	for _, name := range names {
		if _, ok := obj[name]; ok {
			return name
		}
	}
	return ""
}

// hasNextLink reports whether header has a Link with rel="next".
func hasNextLink(header http.Header) bool {
	for _, v := range header.Values("Link") {
		v = strings.ToLower(v)
		if strings.Contains(v, `rel="next"`) || strings.Contains(v, "rel=next") || strings.Contains(v, ` next"`) || strings.Contains(v, `"next `) {
			return true
		}
	}
	return false
}

// isNDJSON reports whether a Content-Type names a stream of JSON lines.
func isNDJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/json-seq":
		return true
	}
	return false
}
