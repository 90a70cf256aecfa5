package pagerhttp

import (
	"net/http"
	"strconv"
	"strings"
)

// headerTotal returns the listing's total as h reports it, or 0: the
// header name, or by default X-Total-Count (json-server 0.17, many Rails
// and Express APIs), else the total of a Content-Range of items
// ("0-99/1234", "*/0": PostgREST; not a range of bytes, nor "0-99/*").
func headerTotal(h http.Header, name string) int {
	switch name {
	case "-":
		return 0
	case "":
		if n := count(h.Get("X-Total-Count")); n > 0 {
			return n
		}
		name = "Content-Range"
	}
	v := h.Get(name)
	if !strings.EqualFold(name, "Content-Range") {
		return count(v)
	}
	unit, rng, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found {
		rng = unit
	} else if !strings.EqualFold(unit, "items") {
		return 0 // bytes
	}
	_, total, _ := strings.Cut(rng, "/")
	return count(total)
}

// count parses a non-negative count, 0 if v is not one.
func count(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
