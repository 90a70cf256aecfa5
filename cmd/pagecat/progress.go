package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pagerseq/pager"
)

// How progress is shown.
const (
	progressOff   = iota
	progressLine  // a terminal: one line, rewritten in place
	progressPlain // a file or a pipe: a plain line every plainEvery
)

// plainEvery is how often -progress always writes a line to a file or a
// pipe; lineEvery how often a terminal's line is redrawn at most.
const (
	plainEvery = 10 * time.Second
	lineEvery  = 100 * time.Millisecond
)

// progress reports a walk's pages on stderr: items, pages, items/s,
// retries and quota waits, and with a total the percent done and the time
// left. On a terminal it rewrites one line; into a file or a pipe
// (-progress always) it writes a plain line every 10 s, and one at the
// end, with no escape codes.
type progress struct {
	w    io.Writer
	mode int
	now  func() time.Time // time.Now; tests replace it
	net  *watcher         // nil: no counts from the wire

	mu                     sync.Mutex // OnPage may run on a goroutine of a Prefetch
	start, drawn           time.Time
	pages, items, retries  int
	total, reached, offset int // the listing's total if known; offset past the last page; where this run started
	shown                  bool
	reset                  time.Time // the quota reset last waited for
}

func newProgress(w io.Writer, mode string) *progress {
	p := &progress{w: w, now: time.Now}
	switch {
	case mode == "never":
	case isTerminal(w):
		p.mode = progressLine
	case mode == "always":
		p.mode = progressPlain
	}
	p.start = p.now()
	p.drawn = p.start
	p.offset = -1
	return p
}

// note writes a line of its own, if progress is on.
func (p *progress) note(format string, args ...any) {
	if p.mode == progressOff {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, "pagecat: "+format+"\n", args...)
}

// quotaWait is the walk's Quota.OnWait: it counts the wait as a quota
// wait, and notes it, once for the requests that wait for one reset.
func (p *progress) quotaWait(d time.Duration, until time.Time) {
	p.mu.Lock()
	seen := until.Equal(p.reset)
	p.reset = until
	p.mu.Unlock()
	if seen {
		return
	}
	if p.net != nil {
		p.net.quota.Add(1)
		p.net.quotaWait.Add(int64(d))
	}
	p.note("the server's rate-limit quota is spent until %s: waiting %v before the next request",
		until.UTC().Format("15:04:05Z"), d.Round(100*time.Millisecond))
}

// println writes a line of its own, whether progress is on or not, and
// keeps the progress line below it.
func (p *progress) println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintln(p.w, clean(s))
}

// page is the walk's OnPage func.
func (p *progress) page(info pager.PageInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offset < 0 {
		p.offset = info.Offset
	}
	p.pages++
	p.items += info.Items
	p.retries += max(info.Attempts-1, 0)
	p.reached = info.Offset + info.Items
	if info.Total > 0 {
		p.total = info.Total
	}
	now := p.now()
	switch {
	case p.mode == progressLine && now.Sub(p.drawn) >= lineEvery:
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(now))
		p.shown = true
	case p.mode == progressPlain && now.Sub(p.drawn) >= plainEvery:
		fmt.Fprintln(p.w, p.line(now))
	default:
		return
	}
	p.drawn = now
}

// line returns the progress so far, at time now.
func (p *progress) line(now time.Time) string {
	secs := max(now.Sub(p.start).Seconds(), 1e-3)
	rate := float64(p.items) / secs
	var b strings.Builder
	fmt.Fprintf(&b, "pagecat: %s, %s", count(p.pages, "page"), count(p.items, "item"))
	if p.total > 0 {
		fmt.Fprintf(&b, " of %d (%d%%)", p.total, 100*min(p.reached, p.total)/p.total)
	}
	fmt.Fprintf(&b, ", %.0f items/s, %s", rate, count(p.retries, "retry"))
	if p.net != nil {
		n, d := p.net.waits()
		fmt.Fprintf(&b, ", %s (%v)", count(int(n), "quota wait"), d.Round(100*time.Millisecond))
	}
	if left := p.total - p.reached; p.total > 0 && left > 0 && rate > 0 {
		fmt.Fprintf(&b, ", ETA %v", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
	}
	return b.String()
}

// clear ends the terminal's progress line, if one is shown, so that a
// line of text can follow. p.mu is held.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// done writes the progress at the end, and ends the line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.mode {
	case progressLine:
		if p.pages > 0 || p.shown {
			fmt.Fprintf(p.w, "\r\033[K%s\n", p.line(p.now()))
		}
	case progressPlain:
		fmt.Fprintln(p.w, p.line(p.now()))
	}
	p.shown = false
	p.mode = progressOff // once
}

// count returns n and the noun, plural unless n is 1: "1 page", "2 retries".
func count(n int, noun string) string {
	switch {
	case n == 1:
	case strings.HasSuffix(noun, "y"):
		noun = noun[:len(noun)-1] + "ies"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
