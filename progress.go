package pager

import "time"

// PageInfo describes a page that a walk fetched: what a log line or a
// progress bar needs. See [OnPage].
type PageInfo struct {
	Offset   int           // position of the page's first item in the listing
	Token    string        // Token walks: the token the page was fetched with
	Page     int           // PageNumber walks: the page's number
	Items    int           // items on the page
	Total    int           // total items, if the server reported it; 0 = unknown
	Attempts int           // tries the page took, the first included
	Elapsed  time.Duration // from the first try to the answer, retry waits included
}

// OnPage makes an Offset, Token, PageNumber or Link walk call f for each
// page it yields, just before yielding it, in order: for logs, metrics and
// progress bars. An [NDJSONOpen] walk reports each block of items it reads,
// with the attempts its stream took. A page that failed is not reported; the walk's
// [*PageError] says where and after how many attempts. f runs on the
// goroutine that walks the source, which under [Prefetch] may be another
// than the loop's, ahead of it; it is never called concurrently by one
// walk. OnPage panics if f is nil.
func OnPage(f func(PageInfo)) Option {
	if f == nil {
		panic("pager: OnPage with a nil func")
	}
	return option{"OnPage", fetchSrcs | ndjsonOpenSrc, func(c *config) { c.onPage = f }}
}

// report calls the OnPage func, if any, for p, a page about to be yielded,
// numbered page in a PageNumber walk (else 0).
func report[T any](c *config, p *Page[T], page int, t tries) {
	if c.onPage == nil {
		return
	}
	c.onPage(PageInfo{
		Offset:   p.Offset,
		Token:    p.Token,
		Page:     page,
		Items:    len(p.Items),
		Total:    p.Total,
		Attempts: t.n,
		Elapsed:  t.took,
	})
}
