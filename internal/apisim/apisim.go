// Package apisim serves a listing of records over real HTTP on 127.0.0.1,
// paginated in each of the styles that pager walks, the way real APIs do it
// (the pages in /work/shared/seeds): limits clamped to a maximum, totals,
// has_more flags, bare arrays, opaque page tokens, page numbers, Link
// headers and NDJSON streams. Faults are switched on per server: latency,
// 429s with Retry-After, 5xx, connections reset mid-body, truncated bodies,
// NDJSON streams that end in an error line, short pages, records inserted
// or deleted between pages, repeated and expired tokens, and page-number
// endpoints that answer past their end with the last page. The endpoints
// of styles.go imitate the pagination of real APIs beyond those: next
// URLs in the body, totals in headers, keysets, cursors in headers and
// POST bodies, GraphQL connections, change feeds.
//
// Everything a server does is decided by its seed and the requests it is
// sent: whether a request meets a fault depends on the request's URL and on
// how many times that URL was asked for before, not on timing, so a walk
// that retries sees the same faults on every run, even under concurrency;
// but for a rate-limit quota (Faults.Quota), which is spent by time.
package apisim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The endpoints of a Server, one per pagination style.
const (
	// Runs is limit/offset with a total and an echo of the applied limit
	// (limit 1–1000, default 100): {"runs": [...], "count": 100,
	// "total": 1500, "limit": 100, "offset": 0, "sort_by": "id",
	// "sort_order": "asc"}.
	Runs = "/runs"
	// Issues is limit/offset answered with a bare JSON array, the limit
	// clamped to 200 (default 50): limit=999 is answered with 200 records.
	Issues = "/issues/"
	// Logs is limit/offset with has_more (limit 1–500, default 50):
	// {"items": [...], "total": 1500, "limit": 50, "offset": 0,
	// "has_more": true}. With Accept: application/x-ndjson it streams the
	// whole listing as NDJSON instead.
	Logs = "/logs"
	// Objects is page tokens: ?pageSize=…&pageToken=… answered with
	// {"data": [...], "nextPageToken": "v1.…"}; the last page has
	// "nextPageToken": null. pageSize is clamped to 100 (default 100).
	Objects = "/objects"
	// Events is page numbers: ?page=…&per_page=… (from 1; per_page 1–100,
	// default 20) answered with {"items": [...], "page": 3,
	// "per_page": 20}: no total, so a walk ends on an empty page.
	Events = "/events"
	// Repos is page numbers with a Link header (rel="next", "prev",
	// "first", "last"), as GitHub does: ?page=…&per_page=… (per_page 1–100,
	// default 30), answered with a bare JSON array.
	Repos = "/repos"
	// Stream is the whole listing as NDJSON (application/x-ndjson).
	Stream = "/stream"
)

// Config is what a Server serves.
type Config struct {
	N      int    // records in the listing, with ids 1 to N
	Seed   uint64 // decides the faults and the records' contents
	Faults Faults
}

// Faults are the ways a Server misbehaves. The zero value has none. Rates
// are fractions of requests, between 0 and 1; a request meets at most one
// of TooMany, ServerError, Reset and Truncate (which apply to every
// endpoint, so they should add up to at most 1).
type Faults struct {
	Latency time.Duration // added to every response…
	Jitter  time.Duration // …with up to this much more

	TooMany     float64       // answered 429 Too Many Requests…
	RetryAfter  time.Duration // …with Retry-After, in whole seconds, rounded up
	ServerError float64       // answered 500, 502 or 503
	Reset       float64       // connection reset halfway through the body
	Truncate    float64       // a 200 whose JSON body is cut short

	ErrorLine int // NDJSON: a plain-text error line ends the stream after this many records; 0: never
	Heartbeat int // NDJSON: a blank line after every Heartbeat records; 0: none

	// Short is the rate of pages cut short, to between 1 and limit-1
	// records, on the offset and token endpoints, whose clients ask again
	// for what they did not get; on a page-number endpoint a short page
	// would lose records for any client.
	Short  float64
	Insert float64 // page requests after which a record is inserted before the page
	Delete float64 // page requests after which a record before the page is deleted

	RepeatToken    int  // Objects: the page after the RepeatToken-th hands back a token already used; 0: never
	ExpireToken    int  // Objects: the token to the page after the ExpireToken-th is expired: 410 Gone; 0: never
	RepeatLastPage bool // Events: pages past the end are answered with the last page
	IgnorePaging   bool // Runs, Issues, Logs, Events: the offset or page parameter is ignored

	// Quota is how many requests a window of QuotaWindow (default 1s)
	// allows; 0: no quota. Every answer says how many are left and when
	// the window ends, as QuotaHeaders says: "RateLimit" (the default),
	// RateLimit-Limit, -Remaining and -Reset in seconds from now (the IETF
	// draft); "X-RateLimit", GitHub's, its Reset in seconds since 1970.
	// Both round the reset up to a whole second. A request over the
	// quota is answered 429 with a Retry-After until the reset. The first
	// request opens a window, the first after its end the next: unlike
	// every other fault, the quota depends on when requests come.
	Quota        int
	QuotaWindow  time.Duration
	QuotaHeaders string
}

// Stats counts what a Server was asked and which faults it injected.
type Stats struct {
	Requests       int64
	TooMany        int64
	ServerErrors   int64
	Resets         int64
	Truncated      int64
	ErrorLines     int64
	Heartbeats     int64
	Short          int64
	Inserted       int64
	Deleted        int64
	RepeatedTokens int64
	ExpiredTokens  int64
	RepeatedPages  int64 // Events pages past the end answered with the last page
	OverQuota      int64 // requests over Faults.Quota, answered 429
}

// Faults returns how many faults were injected, all kinds together.
func (s Stats) Faults() int64 {
	return s.TooMany + s.ServerErrors + s.Resets + s.Truncated + s.ErrorLines +
		s.Short + s.Inserted + s.Deleted + s.RepeatedTokens + s.ExpiredTokens + s.RepeatedPages +
		s.OverQuota
}

// A Server serves a Config's listing on 127.0.0.1 until it is closed.
type Server struct {
	URL string // http://127.0.0.1:port, with no trailing slash

	cfg      Config
	srv      *http.Server
	served   chan struct{} // closed when Serve has returned
	handlers sync.WaitGroup
	closed   chan struct{}

	mu     sync.Mutex
	asked  map[string]int // times each request URL was asked for
	ids    []int          // the listing, once a record was inserted or deleted; nil: 1 to N
	nextID int            // for the next inserted record
	quota  quotaWindow    // Faults.Quota's current window

	stats statsCounters
}

// New starts a Server on 127.0.0.1, on a port of its own.
func New(cfg Config) (*Server, error) {
	if cfg.N < 0 {
		return nil, errors.New("apisim: negative N")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("apisim: %w", err)
	}
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		cfg:    cfg,
		served: make(chan struct{}),
		closed: make(chan struct{}),
		asked:  make(map[string]int),
		nextID: cfg.N + 1,
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

// Close stops the server, closes its connections and waits for its
// handlers to return.
func (s *Server) Close() {
	close(s.closed)
	_ = s.srv.Close()
	<-s.served
	s.handlers.Wait()
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats { return s.stats.load() }

// Record returns the record with the given id.
func (s *Server) Record(id int) Record { return newRecord(id, s.cfg.Seed) }

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	s.stats.requests.Add(1)
	d := s.dice(r)
	if !s.delay(r.Context(), d) {
		return
	}
	if !s.spend(w) {
		return
	}
	if r.Method != http.MethodGet && !posted(r.URL.Path) {
		writeError(w, http.StatusMethodNotAllowed, "only GET is served")
		return
	}
	if s.fail(w, d) {
		return
	}
	resp := &response{w: w, d: d, s: s}
	switch r.URL.Path {
	case Runs:
		s.serveRuns(resp, r)
	case Issues:
		s.serveIssues(resp, r)
	case Logs:
		if acceptsNDJSON(r) {
			s.serveStream(resp, r)
			return
		}
		s.serveLogs(resp, r)
	case Objects:
		s.serveObjects(resp, r)
	case Events:
		s.serveEvents(resp, r)
	case Repos:
		s.serveRepos(resp, r)
	case Stream:
		s.serveStream(resp, r)
	default:
		if !s.serveStyle(resp, r) {
			writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
		}
	}
}

// delay waits for the latency the dice give, and reports whether the
// request is still wanted.
func (s *Server) delay(ctx context.Context, d dice) bool {
	f := s.cfg.Faults
	wait := f.Latency
	if f.Jitter > 0 {
		wait += time.Duration(d.float(saltJitter) * float64(f.Jitter))
	}
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

// fail answers the request with the error fault the dice chose, if any,
// and reports whether it did. A reset or truncation happens later, when
// the body is written.
func (s *Server) fail(w http.ResponseWriter, d dice) bool {
	f := s.cfg.Faults
	switch u := d.float(saltFault); {
	case u < f.TooMany:
		s.stats.tooMany.Add(1)
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		writeError(w, http.StatusTooManyRequests, "rate limit exceeded, retry later")
		return true
	case u < f.TooMany+f.ServerError:
		s.stats.serverErrors.Add(1)
		codes := [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		code := codes[d.intn(saltCode, len(codes))]
		writeError(w, code, http.StatusText(code))
		return true
	}
	return false
}

// mode is how the body of a 2xx answer is to be written, as the dice say.
type mode int

const (
	whole    mode = iota
	reset         // cut halfway, the connection reset
	truncate      // cut halfway, the response complete
)

func (s *Server) bodyMode(d dice) mode {
	f := s.cfg.Faults
	u := d.float(saltFault) - f.TooMany - f.ServerError
	switch {
	case u >= 0 && u < f.Reset:
		return reset
	case u >= f.Reset && u < f.Reset+f.Truncate:
		return truncate
	}
	return whole
}

type statsCounters struct {
	requests, tooMany, serverErrors, resets, truncated, errorLines, heartbeats,
	short, inserted, deleted, repeatedTokens, expiredTokens, repeatedPages,
	overQuota atomic.Int64
}

func (c *statsCounters) load() Stats {
	return Stats{
		Requests:       c.requests.Load(),
		TooMany:        c.tooMany.Load(),
		ServerErrors:   c.serverErrors.Load(),
		Resets:         c.resets.Load(),
		Truncated:      c.truncated.Load(),
		ErrorLines:     c.errorLines.Load(),
		Heartbeats:     c.heartbeats.Load(),
		Short:          c.short.Load(),
		Inserted:       c.inserted.Load(),
		Deleted:        c.deleted.Load(),
		RepeatedTokens: c.repeatedTokens.Load(),
		ExpiredTokens:  c.expiredTokens.Load(),
		RepeatedPages:  c.repeatedPages.Load(),
		OverQuota:      c.overQuota.Load(),
	}
}
