package pagerhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pagerseq/pager"
)

// decodePage fills p from body, c's JSON answer to req.
func decodePage[T any](c *httpClient, body []byte, p *pager.Page[T], req pager.Request) error {
	body = bytes.TrimSpace(body)
	if c.e.Items == "" {
		if len(body) > 0 && body[0] == '{' {
			return fmt.Errorf("the body is a JSON object, not an array: set Endpoint.Items to the field that holds the items (%s)", fieldList(body))
		}
		if err := json.Unmarshal(body, &p.Items); err != nil {
			return fmt.Errorf("decoding the items: %w", err)
		}
		return nil
	}
	if len(body) > 0 && body[0] == '[' {
		return fmt.Errorf("the body is a JSON array, not an object with the field %q: leave Endpoint.Items empty", c.e.Items)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("decoding the body: %w", err)
	}
	items, ok := field(obj, c.e.Items)
	if !ok {
		return fmt.Errorf("the body has no field %q (%s)", c.e.Items, fieldList(body))
	}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return fmt.Errorf("decoding the items in %q: %w", c.e.Items, err)
	}
	var err error
	read := func(name string, into func(json.RawMessage) error) {
		if raw, ok := field(obj, name); ok && err == nil && !isNull(raw) {
			if e := into(raw); e != nil {
				err = fmt.Errorf("decoding %q: %w", name, e)
			}
		}
	}
	read(c.e.Total, func(raw json.RawMessage) error { return json.Unmarshal(raw, &p.Total) })
	read(c.e.HasMore, func(raw json.RawMessage) error {
		var more bool
		e := json.Unmarshal(raw, &more)
		p.Last = p.Last || !more
		return e
	})
	if c.style.token != "" {
		read(c.e.NextToken, func(raw json.RawMessage) error { return decodeToken(raw, &p.Next) })
	}
	if c.style.page != "" {
		read(c.e.TotalPages, func(raw json.RawMessage) error {
			var n int
			e := json.Unmarshal(raw, &n)
			p.Last = p.Last || req.Page >= n
			return e
		})
	}
	return err
}

// field returns the value at path, a dotted path of field names, in obj.
func field(obj map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	if path == "-" {
		return nil, false
	}
	name, rest, nested := strings.Cut(path, ".")
	raw, ok := obj[name]
	if !ok || !nested {
		return raw, ok
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(raw, &inner) != nil {
		return nil, false
	}
	return field(inner, rest)
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// decodeToken decodes a page token: a JSON string, or a number kept as
// written.
func decodeToken(raw json.RawMessage, tok *string) error {
	if len(raw) > 0 && raw[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return err
		}
		*tok = n.String()
		return nil
	}
	return json.Unmarshal(raw, tok)
}

// fieldList describes the top-level fields of body, a JSON object, for an
// error message.
func fieldList(body []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return "the body is not valid JSON"
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	return "its fields: " + strings.Join(names, ", ")
}
