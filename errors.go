package pager

import (
	"errors"
	"fmt"
	"strings"
)

// ErrRepeatedToken reports that a Token walk was handed a token it had
// already used: following it would fetch the same pages again, forever.
var ErrRepeatedToken = errors.New("pager: repeated page token")

// ErrRepeatedPage reports that a PageNumber walk was answered with the same
// items as the page before: a server that ignores the page parameter, or
// answers past its end with its last page again. See [PageNumber].
var ErrRepeatedPage = errors.New("pager: page repeats the page before it")

// ErrNoProgress reports that a Token walk was handed more empty pages in
// a row than [MaxEmptyPages] allows.
var ErrNoProgress = errors.New("pager: no progress: too many empty pages in a row")

// ErrTotalChanged reports that the Total of an Offset listing changed
// during a walk under [StrictTotal].
var ErrTotalChanged = errors.New("pager: listing total changed during the walk")

// ErrLineTooLong reports an NDJSON line longer than [MaxLineSize].
var ErrLineTooLong = errors.New("pager: NDJSON line too long")

// A PageError reports a page that could not be fetched, and where to resume:
// [Resume](Checkpoint) starts a walk of the same source at the failed page,
// with nothing repeated or skipped. Every page error an Offset, Token,
// PageNumber or NDJSONOpen walk yields is a *PageError.
type PageError struct {
	Offset   int    // where the failed page starts
	Token    string // the token the failed page was (or would have been) fetched with
	Page     int    // PageNumber walks: the number of the failed page; 0 for others
	Attempts int    // how many times the page was tried; 0 if it never was
	Err      error  // the cause

	// Checkpoint is where to resume: the failed page, less the items of
	// it that a resumed walk had already delivered.
	Checkpoint Checkpoint
}

// pageError returns the *PageError for a page at cp that failed with err
// after the given attempts.
func pageError(cp Checkpoint, attempts int, err error) *PageError {
	return &PageError{Offset: cp.Offset, Token: cp.Token, Page: cp.Page, Attempts: attempts, Err: err, Checkpoint: cp}
}

// Error says which page failed, after how many attempts, and why.
func (e *PageError) Error() string {
	var b strings.Builder
	switch {
	case e.Token != "":
		fmt.Fprintf(&b, "pager: page with token %q (offset %d)", shownToken(e.Token), e.Offset)
	case e.Page > 0:
		fmt.Fprintf(&b, "pager: page %d (offset %d)", e.Page, e.Offset)
	default:
		fmt.Fprintf(&b, "pager: page at offset %d", e.Offset)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	b.WriteString(": ")
	// The cause may be one of ours: say "pager: " once.
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "pager: "))
	return b.String()
}

// Unwrap returns the cause.
func (e *PageError) Unwrap() error { return e.Err }

// A LineError reports an NDJSON line that could not be read or decoded.
type LineError struct {
	Line       int   // 1-based line number
	ByteOffset int64 // where the line starts in the stream, in bytes (after a byte-order mark)
	Err        error // the cause

	// Excerpt is the start of the line, at most 40 bytes, or "" if the
	// line could not be read.
	Excerpt string
}

// Error says which line failed, where it starts, and why.
func (e *LineError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pager: line %d (byte %d): %s", e.Line, e.ByteOffset, strings.TrimPrefix(e.Err.Error(), "pager: "))
	if e.Excerpt != "" {
		fmt.Fprintf(&b, "; the line starts %q", e.Excerpt)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// shownToken is a token as an error message shows it. A token that is a URL
// (a Link walk's) is shown without its query, which may hold a secret
// (?access_token=…); the PageError's Token and Checkpoint keep it whole.
func shownToken(tok string) string {
	scheme, rest, ok := strings.Cut(tok, "://")
	if !ok {
		return tok
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 && at < strings.IndexAny(rest+"/", "/?#") {
		rest = "…@" + rest[at+1:] // user:password@host
	}
	if before, _, ok := strings.Cut(rest, "?"); ok {
		rest = before + "?…"
	}
	return scheme + "://" + rest
}
