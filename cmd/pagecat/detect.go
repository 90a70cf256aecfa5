package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pagerseq/pager/internal/timer"
)

// tokenFields are the names under which APIs hand out the next page's token.
var tokenFields = []string{"nextPageToken", "next_page_token", "nextCursor", "next_cursor", "next_token", "nextToken"}

// itemFields are the usual names of the field that holds the items, in
// order of preference when a body has several arrays.
var itemFields = []string{"items", "data", "results", "records", "entries", "values"}

// detect asks for the URL as it stands, and sets o's style (unless set)
// and items field (unless set) from the answer. It tries as often as
// -retry says, as the walk does each page, if the answer may heal: no
// answer, a status of 408, 429 or 5xx, a body cut short.
func detect(ctx context.Context, client *http.Client, o *options) error {
	for attempt := 1; ; attempt++ {
		after, err := detectOnce(ctx, client, o)
		if after < 0 || attempt >= o.retry || ctx.Err() != nil {
			if err != nil && attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		if err := timer.Sleep(ctx, backoff(attempt, after)); err != nil {
			return err
		}
	}
}

// Backoff between detection attempts, as the walk's default RetryPolicy.
var (
	minDelay      = 100 * time.Millisecond
	maxDelay      = 10 * time.Second
	maxRetryAfter = time.Minute
)

// backoff returns a jittered delay before retry k (1, 2, …), at least
// after (the server's Retry-After).
func backoff(k int, after time.Duration) time.Duration {
	ceil := minDelay << min(k, 16)
	ceil = min(ceil, maxDelay)
	return max(minDelay+rand.N(ceil-minDelay+1), after)
}

// detectOnce is one attempt of detect. It returns how long to wait before
// the next attempt (0: the usual backoff), or -1 if there is no point in
// one: success, or an error that cannot heal.
func detectOnce(ctx context.Context, client *http.Client, o *options) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	const again, never = 0, -1
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
	if err != nil {
		return never, err
	}
	req.Header = o.header.Clone()
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return again, fmt.Errorf("detecting the style: %w", err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode/100 == 2 && isNDJSON(ct) {
		if o.style == "" {
			o.style = "ndjson" // a stream: no need to read it to know
		}
		return never, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return again, fmt.Errorf("detecting the style: GET %s: %w", o.url, err)
	}
	if resp.StatusCode/100 != 2 {
		err := fmt.Errorf("detecting the style: GET %s: %s: %.200s", o.url, resp.Status, strings.Join(strings.Fields(string(body)), " "))
		switch code := resp.StatusCode; {
		case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
			after := retryAfter(resp.Header.Get("Retry-After"))
			if after > maxRetryAfter {
				return never, err
			}
			return after, err
		case code == http.StatusRequestTimeout || code >= 500:
			return again, err
		}
		return never, err
	}
	style, items, err := guess(resp.Header, body, o.items)
	if err != nil {
		return never, fmt.Errorf("detecting the style of %s: %w; say it with -style and -items", o.url, err)
	}
	if o.style == "" {
		o.style = style
	}
	o.items = items
	if o.style == "token" && o.nextField == "" {
		o.nextField = present(body, tokenFields)
	}
	return never, nil
}

// retryAfter parses a Retry-After header given in seconds; 0 if it is not.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 1<<20)) * time.Second
}

// guess returns the style and items field of a listing whose first page
// came with header and body; items, if not "", is the items field given.
// The items field of a bare array is ".".
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
		if items != "" && items != bareArray {
			//lint:ignore ST1005 the message ends with the flag's value, not a full stop
			return "", "", fmt.Errorf("-items %s: the body is a bare array; use -items .", items)
		}
		return style, bareArray, nil
	}
	if items == bareArray {
		return "", "", fmt.Errorf("-items . says a bare array, but the body is a JSON object (%s)", fields(obj))
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

// fields lists the names of obj's fields.
func fields(obj map[string]json.RawMessage) string {
	names := slices.Sorted(maps.Keys(obj))
	if len(names) > 20 {
		names = append(names[:20], "…")
	}
	return "fields: " + strings.Join(names, ", ")
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
