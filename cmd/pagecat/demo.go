package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
)

// demoPaths are the simulator's endpoints for each style.
var demoPaths = map[string]string{
	"":       apisim.Runs,
	"offset": apisim.Runs,
	"token":  apisim.Objects,
	"page":   apisim.Events,
	"link":   apisim.Repos,
	"ndjson": apisim.Stream,
}

// The demo's API: 1000 records, pages capped at 100 items, and a script
// of faults that every run meets at the same requests (the first request
// is the one that detects the style): a 503 at the 3rd, a 429 with
// Retry-After: 1 at the 6th, a short page at the 8th. A stream breaks off
// after 400 records.
const (
	demoRecords  = 1000
	demoMaxLimit = 100
	demoPageSize = 250 // asked for unless -page-size says: the cap clamps it
)

var demoScript = apisim.Script{
	MaxLimit:   demoMaxLimit,
	Status:     map[int]int{3: http.StatusServiceUnavailable, 6: http.StatusTooManyRequests},
	RetryAfter: time.Second,
	Short:      map[int]int{8: 37},
}

// startDemo starts the API simulator on 127.0.0.1, points o at it, and
// returns the narrator of the walk and the function that stops the API.
func startDemo(o *options, prog *progress) (*narrator, func(), error) {
	s, err := apisim.New(apisim.Config{
		N: demoRecords, Seed: 2026,
		Faults: apisim.Faults{Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond, ErrorLine: 400},
	})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: s.Scripted(demoScript), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	stop := func() {
		_ = srv.Close()
		<-served
		s.Close()
	}
	base := "http://" + ln.Addr().String()
	o.url = base + demoPaths[o.style]
	if o.style == "ndjson" && o.offsetParam == "" {
		o.offsetParam = "offset" // the simulator's stream starts where it is told
	}
	set := false
	o.fs.Visit(func(f *flag.Flag) { set = set || f.Name == "page-size" })
	if !set && o.style != "ndjson" {
		o.pageSize = demoPageSize
	}
	n := &narrator{say: prog.println, style: o.style}
	n.say(fmt.Sprintf("pagecat: demo: an API on %s serves %d records (%s, %s, %s, %s, %s; -style picks one). Like real APIs, it caps its pages at %d items, fails now and then, rate-limits, and answers short. Exporting %s; what the walk meets and does about it follows.",
		base, demoRecords, apisim.Runs, apisim.Objects, apisim.Events, apisim.Repos, apisim.Stream, demoMaxLimit, o.url))
	return n, stop, nil
}

// A narrator tells, on stderr, what a demo walk met and what it did: it
// sees the answers on the wire (a watcher's event) and the pages the walk
// yields (OnPage).
type narrator struct {
	say   func(string)
	style string

	mu                     sync.Mutex
	asked                  int // the page size the last answered request asked for
	full                   int // the most items a page held
	short                  *pager.PageInfo
	requests, retries      int
	clamps, shorts, reopen int
	waits                  time.Duration
	quotas                 int
}

// event is the watcher's: one answer, or a request that got none.
func (n *narrator) event(resp *http.Response, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.requests++
	if err != nil {
		n.retries++
		n.say(fmt.Sprintf("pagecat: demo: a request got no answer (%v): the walk tries it again after a backoff.", errors.Unwrap(err)))
		return
	}
	u, code := resp.Request.URL, resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		d := retryAfter(resp.Header.Get("Retry-After"))
		n.quotas++
		n.waits += d
		n.say(fmt.Sprintf("pagecat: demo: GET %s: 429 Too Many Requests, Retry-After: %v. The walk waits that long, then asks for the same page again.", u.RequestURI(), d))
	case code >= 500:
		n.retries++
		n.say(fmt.Sprintf("pagecat: demo: GET %s: %s. A transient failure: the walk tries the same page again after a backoff.", u.RequestURI(), resp.Status))
	case code/100 == 2:
		n.asked = 0
		for _, name := range []string{"limit", "pageSize", "per_page"} {
			if v, err := strconv.Atoi(u.Query().Get(name)); err == nil {
				n.asked = v
			}
		}
		if off := u.Query().Get("offset"); n.style == "ndjson" && off != "" && off != "0" {
			n.reopen++
			n.say(fmt.Sprintf("pagecat: demo: the stream broke off with an error line; the walk opens it again at offset %s, the last record it got, and checks that the stream starts with that record: none is lost or repeated.", off))
		}
	}
}

// page is the walk's OnPage func.
func (n *narrator) page(info pager.PageInfo) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.style == "ndjson" || info.Items == 0 {
		return
	}
	if p := n.short; p != nil {
		n.shorts++
		n.short = nil
		n.say(fmt.Sprintf("pagecat: demo: the page at offset %d held %d items where pages hold %d: a short page, yet not the end, as this page at offset %d shows. A loop that stopped at a short page would have lost the records from here on.",
			p.Offset, p.Items, n.full, info.Offset))
	}
	switch {
	case n.full == 0 && n.asked > info.Items:
		n.clamps++
		how := map[string]string{
			"offset": fmt.Sprintf("The walk asks for the next page at offset %d, where this one ended; a loop that added %d to the offset would skip %d records a page.", info.Items, n.asked, n.asked-info.Items),
			"token":  "The walk follows the server's next token, so the smaller pages lose nothing.",
			"link":   "The walk follows the server's next link, so the smaller pages lose nothing.",
			"page":   "The walk counts pages, not items, so the smaller pages lose nothing; it stops at the first empty page.",
		}[n.style]
		n.say(fmt.Sprintf("pagecat: demo: asked for %d items a page, got %d: the API clamps the page size. %s", n.asked, info.Items, how))
	case n.full > 0 && info.Items < n.full:
		n.short = &info // told when the next page shows it was not the last
	}
	n.full = max(n.full, info.Items)
}

// end tells what the walk handled, after it wrote items records.
func (n *narrator) end(items int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.say(fmt.Sprintf("pagecat: demo: %d records written, each once and in order, from %s: %s, %s, %s, %s waited out (%v), %s. The walk handled all of it; the loop that wrote the records saw none of it.",
		items, plural(n.requests, "request", "requests"), plural(n.clamps, "clamped page size", "clamped page sizes"),
		plural(n.shorts, "short page", "short pages"), plural(n.retries, "retry", "retries"),
		plural(n.quotas, "429", "429s"), n.waits, plural(n.reopen, "stream reopened", "streams reopened")))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
