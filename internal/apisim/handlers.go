package apisim

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// response writes one 2xx answer, or its fault.
type response struct {
	w http.ResponseWriter
	d dice
	s *Server
}

func (s *Server) serveRuns(resp *response, r *http.Request) {
	limit, off, ok := s.limitOffset(resp.w, r, 100, 1000)
	if !ok {
		return
	}
	ids, total := s.window(off, limit, resp.d, true)
	b := append([]byte(nil), `{"runs":`...)
	b = s.appendRecords(b, ids)
	b = fmt.Appendf(b, `,"count":%d,"total":%d,"limit":%d,"offset":%d,"sort_by":"id","sort_order":"asc"}`, len(ids), total, limit, off)
	resp.json(b)
	s.change(off+len(ids), resp.d)
}

func (s *Server) serveIssues(resp *response, r *http.Request) {
	limit, off, ok := s.limitOffset(resp.w, r, 50, 200)
	if !ok {
		return
	}
	ids, _ := s.window(off, limit, resp.d, true)
	resp.json(s.appendRecords(nil, ids))
	s.change(off+len(ids), resp.d)
}

func (s *Server) serveLogs(resp *response, r *http.Request) {
	limit, off, ok := s.limitOffset(resp.w, r, 50, 500)
	if !ok {
		return
	}
	ids, total := s.window(off, limit, resp.d, true)
	b := append([]byte(nil), `{"items":`...)
	b = s.appendRecords(b, ids)
	b = fmt.Appendf(b, `,"total":%d,"limit":%d,"offset":%d,"has_more":%t}`, total, limit, off, off+len(ids) < total)
	resp.json(b)
	s.change(off+len(ids), resp.d)
}

// limitOffset reads limit and offset, answering 400 if they are not valid.
func (s *Server) limitOffset(w http.ResponseWriter, r *http.Request, def, high int) (limit, off int, ok bool) {
	if limit, ok = intParam(r, "limit", def, 1, high); !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be an integer from 1 to %d", high))
		return 0, 0, false
	}
	if off, ok = intParam(r, "offset", 0, 0, 0); !ok {
		writeError(w, http.StatusBadRequest, "offset must be a non-negative integer")
		return 0, 0, false
	}
	if s.cfg.Faults.IgnorePaging {
		off = 0
	}
	return limit, off, true
}

func (s *Server) serveObjects(resp *response, r *http.Request) {
	size, ok := intParam(r, "pageSize", 100, 1, 100)
	if !ok {
		writeError(resp.w, http.StatusBadRequest, "pageSize must be an integer from 1 to 100")
		return
	}
	tok := r.URL.Query().Get("pageToken")
	off, k := 0, 1 // k: the number of the page asked for, from 1
	if tok != "" {
		var valid bool
		if off, k, valid = parseToken(tok); !valid {
			writeError(resp.w, http.StatusBadRequest, "invalid pageToken")
			return
		}
		if e := s.cfg.Faults.ExpireToken; e > 0 && k == e+1 {
			s.stats.expiredTokens.Add(1)
			writeError(resp.w, http.StatusGone, "pageToken expired; start the listing again")
			return
		}
	}
	ids, total := s.window(off, size, resp.d, true)
	next := "null"
	switch end := off + len(ids); {
	case k == max(s.cfg.Faults.RepeatToken, 2) && s.cfg.Faults.RepeatToken > 0:
		s.stats.repeatedTokens.Add(1)
		next = strconv.Quote(tok)
	case end < total:
		next = strconv.Quote(makeToken(end, k+1))
	}
	b := append([]byte(nil), `{"data":`...)
	b = s.appendRecords(b, ids)
	b = fmt.Appendf(b, `,"nextPageToken":%s}`, next)
	resp.json(b)
	s.change(off+len(ids), resp.d)
}

// makeToken returns an opaque token for the k-th page, at offset off.
func makeToken(off, k int) string {
	return "v1." + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", off, k))
}

func parseToken(tok string) (off, k int, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "v1."))
	if err != nil || !strings.HasPrefix(tok, "v1.") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(string(raw), ":")
	off, err1 := strconv.Atoi(a)
	k, err2 := strconv.Atoi(b)
	return off, k, found && err1 == nil && err2 == nil && off >= 0 && k > 1
}

func (s *Server) serveEvents(resp *response, r *http.Request) {
	page, size, ok := s.pagePerPage(resp.w, r, 20)
	if !ok {
		return
	}
	if s.cfg.Faults.IgnorePaging {
		page = 1
	}
	ids, total := s.page(page, size, resp.d)
	if len(ids) == 0 && s.cfg.Faults.RepeatLastPage && total > 0 {
		s.stats.repeatedPages.Add(1)
		ids, _ = s.page((total+size-1)/size, size, resp.d)
	}
	b := append([]byte(nil), `{"items":`...)
	b = s.appendRecords(b, ids)
	b = fmt.Appendf(b, `,"page":%d,"per_page":%d}`, page, size)
	resp.json(b)
	s.change((page-1)*size+len(ids), resp.d)
}

func (s *Server) serveRepos(resp *response, r *http.Request) {
	page, size, ok := s.pagePerPage(resp.w, r, 30)
	if !ok {
		return
	}
	ids, total := s.page(page, size, resp.d)
	last := max((total+size-1)/size, 1)
	link := func(p int, rel string) string {
		u := url.URL{Path: r.URL.Path}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u.RawQuery = q.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, s.URL, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		resp.w.Header().Set("Link", strings.Join(links, ", "))
	}
	resp.json(s.appendRecords(nil, ids))
	s.change((page-1)*size+len(ids), resp.d)
}

func (s *Server) pagePerPage(w http.ResponseWriter, r *http.Request, def int) (page, size int, ok bool) {
	if size, ok = intParam(r, "per_page", def, 1, 100); !ok {
		writeError(w, http.StatusBadRequest, "per_page must be an integer from 1 to 100")
		return 0, 0, false
	}
	if page, ok = intParam(r, "page", 1, 1, 0); !ok {
		writeError(w, http.StatusBadRequest, "page must be an integer from 1")
		return 0, 0, false
	}
	return page, size, true
}

// page returns the ids on page number page (from 1) of size records.
func (s *Server) page(page, size int, d dice) ([]int, int) {
	off := (page - 1) * size
	if off/size != page-1 { // overflow: far past any end
		return nil, s.cfg.N
	}
	return s.window(off, size, d, false) // a short page would lose records
}

// json writes body, a JSON document, as the dice say: whole, truncated, or
// cut by a connection reset.
func (resp *response) json(body []byte) {
	h := resp.w.Header()
	h.Set("Content-Type", "application/json")
	switch resp.s.bodyMode(resp.d) {
	case truncate:
		resp.s.stats.truncated.Add(1)
		body = body[:len(body)/2]
	case reset:
		resp.s.stats.resets.Add(1)
		resp.resetAfter(len(body), body[:len(body)/2])
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = resp.w.Write(body)
}

// resetAfter writes a response that promises length bytes of body, sends
// part, and resets the connection.
func (resp *response) resetAfter(length int, part []byte) {
	conn, buf, err := http.NewResponseController(resp.w).Hijack()
	if err != nil {
		return // closing without an answer is a fault too
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", resp.w.Header().Get("Content-Type"))
	if length >= 0 {
		fmt.Fprintf(buf, "Content-Length: %d\r\n", length)
	}
	fmt.Fprintf(buf, "\r\n")
	_, _ = buf.Write(part)
	_ = buf.Flush()
	abort(conn)
}

// abort closes conn with a reset (RST), not an orderly close.
func abort(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// serveStream writes the listing as NDJSON, from ?offset= (default 0).
func (s *Server) serveStream(resp *response, r *http.Request) {
	off, ok := intParam(r, "offset", 0, 0, 0)
	if !ok {
		writeError(resp.w, http.StatusBadRequest, "offset must be a non-negative integer")
		return
	}
	f := s.cfg.Faults
	ids, _ := s.window(off, 1<<62, dice{}, false)
	var out *bufio.Writer
	var flush func() error
	cut := -1 // records after which the connection is reset
	if s.bodyMode(resp.d) == reset {
		s.stats.resets.Add(1)
		conn, buf, err := http.NewResponseController(resp.w).Hijack()
		if err != nil {
			return
		}
		defer abort(conn)
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n")
		out, flush, cut = buf.Writer, buf.Flush, len(ids)/2
	} else {
		resp.w.Header().Set("Content-Type", "application/x-ndjson")
		rc := http.NewResponseController(resp.w)
		out = bufio.NewWriterSize(resp.w, 32<<10)
		flush = func() error {
			if err := out.Flush(); err != nil {
				return err
			}
			return rc.Flush()
		}
	}
	var line []byte
	for i, id := range ids {
		if i == cut {
			_ = flush()
			return
		}
		if i == f.ErrorLine && f.ErrorLine > 0 {
			s.stats.errorLines.Add(1)
			fmt.Fprintf(out, "ERROR: canceling statement due to statement timeout\n")
			break
		}
		if f.Heartbeat > 0 && i > 0 && i%f.Heartbeat == 0 {
			s.stats.heartbeats.Add(1)
			_ = out.WriteByte('\n')
			if flush() != nil {
				return
			}
		}
		line = append(appendRecord(line[:0], s.Record(id)), '\n')
		if _, err := out.Write(line); err != nil {
			return // the client went away
		}
	}
	_ = flush()
}

func acceptsNDJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/x-ndjson")
}

// writeError answers with status and a JSON error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]any{"error": msg, "status": status})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
