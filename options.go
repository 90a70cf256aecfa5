package pager

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerseq/pager/internal/timer"
)

// An Option configures a source. Each option's doc says which sources it
// applies to; a source given one that does not apply to it panics when it
// is built, naming the option and the source.
type Option interface {
	apply(*config)
	// applies reports the option's name, and the sources it applies to.
	applies() (string, sources)
}

// sources is a set of the kinds of source an option applies to.
type sources uint8

const (
	offsetSrc sources = 1 << iota
	tokenSrc
	pageSrc
	ndjsonSrc     // NDJSON: a reader
	ndjsonOpenSrc // NDJSONOpen: a stream opened again where it broke
	writeSrc      // WriteNDJSON

	fetchSrcs = offsetSrc | tokenSrc | pageSrc
	allSrcs   = fetchSrcs | ndjsonSrc | ndjsonOpenSrc | writeSrc
)

// sourceNames name the kinds of source in panics.
var sourceNames = map[sources]string{
	offsetSrc:     "an Offset source",
	tokenSrc:      "a Token source",
	pageSrc:       "a PageNumber source",
	ndjsonSrc:     "an NDJSON source",
	ndjsonOpenSrc: "an NDJSONOpen source",
	writeSrc:      "WriteNDJSON",
}

// option is every Option of the package: a name, the sources it applies
// to, and what it sets.
type option struct {
	name string
	to   sources
	set  func(*config)
}

func (o option) apply(c *config)            { o.set(c) }
func (o option) applies() (string, sources) { return o.name, o.to }

// config is what the options set. Its zero value is not ready for use:
// newConfig fills in the defaults.
type config struct {
	pageSize    int
	maxPageSize int // 0: no cap
	startOffset int
	endOffset   int  // EndOffset, if bounded
	bounded     bool // EndOffset was given
	startToken  string
	startPage   int
	skip        int         // items to drop at the start of the walk (Resume)
	resumed     *Checkpoint // the checkpoint given to Resume, if any
	shortEnds   bool
	maxEmpty    int // Token: consecutive empty pages allowed; 0: no bound
	strictTotal bool
	retry       RetryPolicy
	maxLineSize int
	skipBad     func(*LineError) error    // NDJSON: nil, or SkipBadLines' report
	decode      func([]byte, any) error   // NDJSON: nil, or DecodeWith's
	encode      func(any) ([]byte, error) // WriteNDJSON: nil, or EncodeWith's
	onPage      func(PageInfo)            // nil: no report

	// sleep waits for d or until ctx is done, and now tells the time;
	// tests replace them.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

const (
	defaultPageSize    = 100
	defaultMaxLineSize = 64 << 20
	defaultMaxEmpty    = 100
)

// newConfig returns the configuration of a source of the given kind, the
// defaults overridden by opts. It panics if an option does not apply.
func newConfig(kind sources, opts []Option) config {
	c := config{
		pageSize:    defaultPageSize,
		maxLineSize: defaultMaxLineSize,
		maxEmpty:    defaultMaxEmpty,
		startPage:   1,
		sleep:       timer.Sleep,
		now:         time.Now,
	}
	for _, o := range opts {
		if o == nil {
			panic("pager: nil Option given to " + sourceNames[kind])
		}
		if name, to := o.applies(); to&kind == 0 {
			panic(fmt.Sprintf("pager: %s does not apply to %s", name, sourceNames[kind]))
		}
		o.apply(&c)
	}
	return c
}

// limit is the page size to ask for: PageSize clamped to MaxPageSize.
func (c *config) limit() int {
	if c.maxPageSize > 0 && c.pageSize > c.maxPageSize {
		return c.maxPageSize
	}
	return c.pageSize
}

// PageSize sets the page size asked of the server ([Request.Limit]); the
// default is 100. It panics if n < 1.
func PageSize(n int) Option {
	mustPositive("PageSize", n)
	return option{"PageSize", fetchSrcs, func(c *config) { c.pageSize = n }}
}

// MaxPageSize sets the server's cap on the page size: requests never ask for
// more. It panics if n < 1.
func MaxPageSize(n int) Option {
	mustPositive("MaxPageSize", n)
	return option{"MaxPageSize", fetchSrcs, func(c *config) { c.maxPageSize = n }}
}

// StartOffset resumes an Offset walk at item n (for example at a
// [PageError]'s Offset). For a Token walk it sets the Offset reported for the
// first page, so that offsets stay absolute across a resume. It panics if n < 0.
func StartOffset(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("pager: StartOffset(%d): negative offset", n))
	}
	return option{"StartOffset", fetchSrcs | ndjsonSrc | ndjsonOpenSrc, func(c *config) { c.startOffset = n }}
}

// EndOffset bounds an Offset walk to the items before position n: the walk
// ends there, yields no item at or past it, and asks the page that reaches
// it for no more than the items left ([Request.Limit] is at most n minus the
// page's offset), so that a walk of [StartOffset](1000), EndOffset(2000)
// fetches the items of [1000, 2000) and no others. A server that answers
// with more items than asked has the ones past n dropped. The walk may end
// before n, as an unbounded one does: on an empty page, Last, a Total
// reached, or (with [StopOnShortPage]) a short page. Under [Prefetch], no
// fetch asks for items at or past n either.
//
// A [Checkpoint] holds no bound: resume a bounded walk with EndOffset
// given again beside [Resume] (see [Partition.Options]). Building the
// source panics if the walk would start past n, and [AllFrom] ends with an
// error given a checkpoint past it. EndOffset panics if n < 0; EndOffset(n)
// with n at the start yields nothing, and fetches nothing.
func EndOffset(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("pager: EndOffset(%d): negative offset", n))
	}
	return option{"EndOffset", offsetSrc, func(c *config) { c.endOffset, c.bounded = n, true }}
}

// StartToken resumes a Token walk with tok as the first page's token (for
// example a [PageError]'s Token, or the Next of the last page processed).
// Offset sources panic when given it.
func StartToken(tok string) Option {
	return option{"StartToken", tokenSrc, func(c *config) { c.startToken = tok }}
}

// StartPage resumes a PageNumber walk at page n (for example at a
// [PageError]'s Page); give [StartOffset] too, with the PageError's Offset,
// so that offsets and Total stay absolute. Other sources ignore it. It
// panics if n < 1.
func StartPage(n int) Option {
	mustPositive("StartPage", n)
	return option{"StartPage", pageSrc, func(c *config) { c.startPage = n }}
}

// StopOnShortPage makes an Offset walk end after a page with fewer items than
// the limit asked for. Only use it with a server that never returns short
// pages before the end: many clamp the limit or cut pages short under load,
// and the default (end on an empty page, Last, or Total) loses nothing then.
func StopOnShortPage() Option {
	return option{"StopOnShortPage", offsetSrc | pageSrc, func(c *config) { c.shortEnds = true }}
}

// StrictTotal makes an Offset walk fail when the Total the server reports
// changes between pages: the listing changed under the walk, which may
// then have skipped or repeated items. The walk ends with a [*PageError]
// wrapping [ErrTotalChanged] at the first page that reports the new total,
// before yielding it. Without StrictTotal, a changed Total is only seen in
// the pages' Total fields.
func StrictTotal() Option {
	return option{"StrictTotal", offsetSrc | pageSrc, func(c *config) { c.strictTotal = true }}
}

// MaxEmptyPages bounds the empty pages in a row that a Token walk follows
// before it ends with a [*PageError] wrapping [ErrNoProgress]; the default
// is 100, and 0 lifts the bound. Without one, a server that hands out a
// fresh token with every empty page keeps a walk busy forever, yielding
// nothing. Some servers do return long runs of empty pages: Redis SCAN
// with MATCH on a sparse keyspace, DynamoDB scans with a filter. Lift the
// bound, or raise it, for them. It panics if n < 0.
func MaxEmptyPages(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("pager: MaxEmptyPages(%d): negative", n))
	}
	return option{"MaxEmptyPages", tokenSrc, func(c *config) { c.maxEmpty = n }}
}

// MaxLineSize sets the longest NDJSON line accepted, in bytes; the default
// is 64 MiB. It panics if n < 1.
func MaxLineSize(n int) Option {
	mustPositive("MaxLineSize", n)
	return option{"MaxLineSize", ndjsonSrc | ndjsonOpenSrc, func(c *config) { c.maxLineSize = n }}
}

// SkipBadLines makes an NDJSON walk skip the lines it cannot use — a line
// that does not decode, holds more than one value, or is longer than
// [MaxLineSize] — instead of ending on the first. Each skipped line is
// reported: report is called with its [*LineError], on the goroutine
// ranging over the walk (under [Prefetch], one of Prefetch's, ahead of the
// loop) and in stream order, before any item of a later line is yielded. If report returns nil the walk goes on; otherwise it ends
// with the error report returned (which may be the *LineError itself).
//
// A failing read is never skipped: it ends the walk whatever report says.
// SkipBadLines panics if report is nil.
func SkipBadLines(report func(*LineError) error) Option {
	if report == nil {
		panic("pager: SkipBadLines with a nil func")
	}
	return option{"SkipBadLines", ndjsonSrc | ndjsonOpenSrc, func(c *config) { c.skipBad = report }}
}

// DecodeWith makes an NDJSON walk decode each line with unmarshal instead of
// [encoding/json], to bring in a faster JSON library without this module
// depending on it: DecodeWith(sonic.Unmarshal), DecodeWith(gojson.Unmarshal).
//
// unmarshal is given one line, without its line ending, and a pointer to the
// item to fill (a *T). It is called from several goroutines at once, and
// must not keep the line after it returns: its bytes are reused. A line
// holding more than one value must be an error, as it is for
// [json.Unmarshal]. DecodeWith panics if unmarshal is nil.
func DecodeWith(unmarshal func(data []byte, v any) error) Option {
	if unmarshal == nil {
		panic("pager: DecodeWith with a nil func")
	}
	return option{"DecodeWith", ndjsonSrc | ndjsonOpenSrc, func(c *config) { c.decode = unmarshal }}
}

// EncodeWith makes [WriteNDJSON] encode each item with marshal instead of
// [encoding/json]. marshal must return a value on one line: output that
// holds a newline, or nothing but blanks, ends the write with an error.
// EncodeWith panics if marshal is nil.
func EncodeWith(marshal func(v any) ([]byte, error)) Option {
	if marshal == nil {
		panic("pager: EncodeWith with a nil func")
	}
	return option{"EncodeWith", writeSrc, func(c *config) { c.encode = marshal }}
}

func mustPositive(name string, n int) {
	if n < 1 {
		panic(fmt.Sprintf("pager: %s(%d): must be at least 1", name, n))
	}
}
