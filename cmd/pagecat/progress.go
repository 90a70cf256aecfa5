package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pagerseq/pager"
)

// progress reports a walk's pages on stderr, on one line that it rewrites,
// if stderr is a terminal or -progress=always says so.
type progress struct {
	w     io.Writer
	on    bool
	start time.Time

	mu           sync.Mutex // OnPage may run on a goroutine of a Prefetch
	pages, items int
	total        int
	shown        bool
}

func newProgress(w io.Writer, mode string) *progress {
	on := mode == "always" || mode == "auto" && isTerminal(w)
	return &progress{w: w, on: on, start: time.Now()}
}

// note writes a line of its own, if progress is on.
func (p *progress) note(format string, args ...any) {
	if p.on {
		fmt.Fprintf(p.w, "pagecat: "+format+"\n", args...)
	}
}

// page is the walk's OnPage func.
func (p *progress) page(info pager.PageInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages++
	p.items += info.Items
	if info.Total > 0 {
		p.total = info.Total
	}
	if !p.on {
		return
	}
	rate := float64(p.items) / max(time.Since(p.start).Seconds(), 1e-3)
	of := ""
	if p.total > 0 {
		of = fmt.Sprintf(" of %d (%d%%)", p.total, 100*(info.Offset+info.Items)/p.total)
	}
	fmt.Fprintf(p.w, "\r\033[Kpagecat: %d pages, %d items%s, %.0f items/s", p.pages, p.items, of, rate)
	p.shown = true
}

// done ends the progress line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}
