// Package pagetest provides an in-memory paginated listing for tests: a fake
// server that answers Offset and Token fetches the way real servers do —
// clamping the limit, cutting pages short, reporting a total or has_more or
// nothing — fails on request, and counts what it was asked.
package pagetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/pagerseq/pager"
)

// Server serves the listing 0, 1, …, N-1. Its zero value serves an empty
// listing with no total and no has_more, like a bare JSON array endpoint.
// It is safe for concurrent use once configured.
type Server struct {
	N     int  // items in the listing
	Clamp int  // the server's largest page; 0: none
	Total bool // report Page.Total
	Last  bool // report Page.Last on the page that reaches the end

	// Short, if set, returns a cap on the size of the page answered for req
	// (a rate limit or quota), or 0 for none.
	Short func(req pager.Request) int

	// Fail, if set, is called before each request (call counts from 1); a
	// non-nil result is returned as the fetch's error.
	Fail func(call int, req pager.Request) error

	mu     sync.Mutex
	reqs   []pager.Request
	served map[int]int // request index → items answered
}

// Offset is a pager.FetchFunc for an Offset source.
func (s *Server) Offset(ctx context.Context, req pager.Request) (pager.Page[int], error) {
	call, err := s.begin(ctx, req)
	if err != nil {
		return pager.Page[int]{}, err
	}
	return s.page(call, req.Offset, req), nil
}

// Token is a pager.FetchFunc for a Token source. Its tokens name the offset
// of the page they fetch ("@100"); the last page's Next is "".
func (s *Server) Token(ctx context.Context, req pager.Request) (pager.Page[int], error) {
	call, err := s.begin(ctx, req)
	if err != nil {
		return pager.Page[int]{}, err
	}
	off := 0
	if req.Token != "" {
		n, err := strconv.Atoi(req.Token[1:])
		if err != nil || req.Token[0] != '@' {
			return pager.Page[int]{}, fmt.Errorf("pagetest: bad token %q", req.Token)
		}
		off = n
	}
	p := s.page(call, off, req)
	if end := off + len(p.Items); end < s.N {
		p.Next = "@" + strconv.Itoa(end)
	}
	return p, nil
}

// begin records req and returns its call number, counting from 1.
func (s *Server) begin(ctx context.Context, req pager.Request) (int, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	call := len(s.reqs)
	s.mu.Unlock()
	if s.Fail != nil {
		if err := s.Fail(call, req); err != nil {
			return call, err
		}
	}
	return call, ctx.Err()
}

func (s *Server) page(call, off int, req pager.Request) pager.Page[int] {
	n := req.Limit
	if s.Clamp > 0 {
		n = min(n, s.Clamp)
	}
	if s.Short != nil {
		if c := s.Short(req); c > 0 {
			n = min(n, c)
		}
	}
	end := min(max(off, 0)+n, s.N)
	var p pager.Page[int]
	for i := off; i < end; i++ {
		p.Items = append(p.Items, i)
	}
	if s.Total {
		p.Total = s.N
	}
	p.Last = s.Last && end >= s.N
	s.mu.Lock()
	if s.served == nil {
		s.served = make(map[int]int)
	}
	s.served[call-1] = len(p.Items)
	s.mu.Unlock()
	return p
}

// Calls returns how many fetches the server has answered or failed.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// Requests returns the requests the server was sent, in order.
func (s *Server) Requests() []pager.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pager.Request(nil), s.reqs...)
}

// CheckOffsets reports the first request of an Offset walk that started at
// start which did not ask for the offset just past the items answered
// before it, or nil.
func (s *Server) CheckOffsets(start int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := start
	for i, r := range s.reqs {
		if r.Offset != want || r.Token != "" {
			return fmt.Errorf("request %d is %+v, want offset %d", i, r, want)
		}
		want += s.served[i] // 0 for a failed request: it is asked again
	}
	return nil
}

// Ints returns 0, 1, …, n-1: the items of a listing of n.
func Ints(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Drain ranges over seq to its end, going on past errors, and returns
// everything it yielded: the items and the errors, and the position (in
// items) of each error. A sequence that keeps the package's rules yields at
// most one error, after all its items.
func Drain[T any](seq func(func(T, error) bool)) (items []T, errs []error, errAt []int) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			errAt = append(errAt, len(items))
			continue
		}
		items = append(items, v)
	}
	return items, errs, errAt
}
