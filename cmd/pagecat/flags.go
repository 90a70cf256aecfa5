package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerseq/pager/pagerhttp"
)

// options are pagecat's flags.
type options struct {
	style, items                                   string
	pageSize, maxPageSize                          int
	limitParam, offsetParam, tokenParam, pageParam string
	totalField, hasMoreField, nextField            string
	totalPagesField, totalHeader                   string
	explain                                        bool // -explain
	allowHosts                                     hostList
	maxBodySize                                    int64
	maxEmptyPages                                  int
	pagesFromZero                                  bool
	headers                                        headers
	take, retry, prefetch                          int
	startOffset, startPage                         int
	startToken                                     string
	progress                                       string
	timeout                                        time.Duration
	demo                                           bool
	url                                            string
	output                                         string        // -o
	restart                                        bool          // -restart
	every                                          time.Duration // -checkpoint-every
	jqExpr                                         string        // -jq
	slurp                                          bool          // -slurp

	sf styleFlags // the cursor styles' flags: styles.go

	jq *jqProgram // -jq and -slurp compiled; nil: neither

	header http.Header                 // the -H flags, expanded
	quota  *pagerhttp.Quota            // detection's and the walk's: run.go
	getenv func(string) (string, bool) // os.LookupEnv; tests replace it
	fs     *flag.FlagSet               // to print the resume command
}

var styles = append([]string{"offset", "token", "page", "link", "ndjson"}, cursorStyles...)

// The bounds of the numeric flags: beyond them a walk's offsets could
// overflow, or a typo would open thousands of connections.
const (
	maxPrefetch = 64
	maxPageSize = 1_000_000
	maxCount    = math.MaxInt / 2 // items and pages: -start-offset, -take, -start-page
	maxRetry    = 100
)

// bareArray is the -items value, and its synonyms, for a body that is a
// bare JSON array of items.
const bareArray = "."

// flagGroups orders the flags in -h.
var flagGroups = []struct {
	title string
	names []string
}{
	{"What to fetch", []string{"H", "items", "demo", "explain"}},
	{"How to page", []string{"style", "page-size", "max-page-size", "limit-param", "offset-param", "token-param", "page-param", "total-field", "total-header", "has-more-field", "next-field", "total-pages-field", "pages-from-zero", "prefetch"}},
	{"How to page: cursor styles (see below)", styleFlagNames},
	{"Output", []string{"o", "jq", "slurp", "take", "progress"}},
	{"Resume", []string{"restart", "checkpoint-every", "start-offset", "start-token", "start-page"}},
	{"Network", []string{"retry", "timeout", "allow-host", "max-body-size", "max-empty-pages"}},
}

const usageHead = `usage: pagecat [flags] URL [flags]
       pagecat -demo [flags]

Pagecat walks every page of a JSON API and writes the items to stdout, or
to -o FILE, as NDJSON, one item per line. With -o, the same command run
again resumes after the last whole record in FILE, once the export stopped
(Ctrl-C, a kill, a failure); on stdout, a failure prints the command that
resumes after what was written.
`

const usageTail = `
Header values: pagecat expands $NAME and ${NAME} in a -H value from the
environment ($$ is a $), so that the secret is not on the command line:
single-quote the flag so that the shell leaves it alone. -H @FILE reads
headers from FILE, one 'Name: value' per line (# starts a comment). The
resume command pagecat prints keeps these forms and leaves out headers whose
values were given literally, naming them.

Resume: -o FILE keeps FILE.pagecat.json beside FILE, saved every
-checkpoint-every after FILE is synced: the URL (secret query values
redacted, and hashed), the flags the output depends on, and where the walk
is; never a header value. Running the same command again continues after
the last whole record it covers, or says FILE is complete; another
command's checkpoint is refused, the difference named.

Examples:
  pagecat -demo -style token -take 5
  pagecat -o runs.ndjson -jq '{id, status}' -H @headers.txt https://api.example.com/v1/runs   # again to resume
  pagecat -H 'Authorization: Bearer $GITHUB_TOKEN' -style link 'https://api.github.com/repos/golang/go/issues?state=open' > issues.ndjson
  pagecat -H @gcs-headers.txt -style token -items items -limit-param maxResults -next-field nextPageToken \
      https://storage.googleapis.com/storage/v1/b/BUCKET/o | jq -r .name
`

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("pagecat", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports errors, on one line
	fs.Usage = func() {}     // and prints the usage for -h only
	fs.StringVar(&o.style, "style", "", "pagination style: "+strings.Join(styles, ", ")+"; detected from the first response if empty, and checked on the second (next: a next URL or page number in the body)")
	fs.StringVar(&o.items, "items", "", "the JSON field that holds the items (data, result.items); detected if empty; . (or none) for a bare array")
	fs.IntVar(&o.pageSize, "page-size", 100, fmt.Sprintf("items to ask for per page, 1 to %d (a detected style sends it only where its parameter is known: -limit-param, or echoed by the body)", maxPageSize))
	fs.IntVar(&o.maxPageSize, "max-page-size", 0, "the server's largest page: never ask for more (0: no cap)")
	fs.StringVar(&o.limitParam, "limit-param", "", "query parameter for the page size (default limit, pageSize or per_page by style; - for none)")
	fs.StringVar(&o.offsetParam, "offset-param", "", "query parameter for the offset (default offset; for ndjson none: name the server's to make a broken stream resumable)")
	fs.StringVar(&o.tokenParam, "token-param", "", "query parameter for the page token (default pageToken); in the keyset and header styles, the cursor's (several, comma-separated, for as many -cursor-header names)")
	fs.StringVar(&o.pageParam, "page-param", "", "query parameter for the page number (default page)")
	fs.StringVar(&o.totalField, "total-field", "", "JSON field with the total number of items (default total)")
	fs.StringVar(&o.hasMoreField, "has-more-field", "", "JSON field that is false on the last page (default has_more)")
	fs.StringVar(&o.nextField, "next-field", "", "JSON field with the next page's token (default nextPageToken), or with its URL or page number (next style; default next); a dotted path reaches into objects (response_metadata.next_cursor)")
	fs.StringVar(&o.totalHeader, "total-header", "", "response header with the listing's total (default X-Total-Count, else the total of a Content-Range: 0-99/1234); - for none")
	fs.BoolVar(&o.explain, "explain", false, "print the plan detected from the first page (style, items, next page, end, the first two requests) and fetch no more")
	fs.StringVar(&o.totalPagesField, "total-pages-field", "", "JSON field with the number of pages (page style; default total_pages)")
	fs.BoolVar(&o.pagesFromZero, "pages-from-zero", false, "the API numbers its first page 0, not 1 (page style)")
	fs.Var(&o.headers, "H", "request header, 'Name: value' with $NAME expanded, or @FILE (repeatable)")
	fs.IntVar(&o.take, "take", 0, "stop after this many items (0: all); with -o, FILE's items count")
	fs.IntVar(&o.retry, "retry", 5, fmt.Sprintf("tries per page, the first included; at most %d", maxRetry))
	fs.IntVar(&o.prefetch, "prefetch", 0, fmt.Sprintf("fetch up to N pages ahead of the output (offset style: N at once; at most %d); 0: none", maxPrefetch))
	fs.IntVar(&o.startOffset, "start-offset", 0, "resume at this offset")
	fs.StringVar(&o.startToken, "start-token", "", "resume at this page token or cursor (token and cursor styles) or URL (link and next styles)")
	fs.IntVar(&o.startPage, "start-page", 1, "resume at this page number (page style)")
	fs.StringVar(&o.progress, "progress", "auto", "progress on stderr (items, pages, items/s, retries, quota waits; percent and ETA when a total is known): auto (on a terminal, one line rewritten), always (into a file or pipe too, a plain line every 10 s) or never")
	fs.Var(&o.allowHosts, "allow-host", "a host (host or host:port) that next-page URLs may name besides the URL's own, with your -H headers sent there too (repeatable)")
	fs.Int64Var(&o.maxBodySize, "max-body-size", pagerhttp.DefaultMaxBodySize, "largest response body a page may have, in bytes after decompression")
	fs.IntVar(&o.maxEmptyPages, "max-empty-pages", 100, "empty pages in a row a token walk follows before it gives up (Redis SCAN with MATCH may need more); 0: no limit")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "longest wait for a response's headers, and for each read of its body (not the whole response: a stream runs as long as it sends); more than 0")
	fs.BoolVar(&o.demo, "demo", false, "export from a simulated API started on 127.0.0.1")
	fs.StringVar(&o.output, "o", "", "write the items to `FILE`, with a checkpoint beside it (FILE"+stateSuffix+"): run the same command again to resume after the last whole record, or to learn that FILE is complete")
	fs.BoolVar(&o.restart, "restart", false, "with -o: export from the start, though FILE's checkpoint says it is complete or partway")
	fs.DurationVar(&o.every, "checkpoint-every", time.Second, "with -o: how often FILE is synced and its checkpoint saved; a resumed export fetches again what came in since (0: after every page)")
	fs.StringVar(&o.jqExpr, "jq", "", "run the jq `EXPR` on each item, writing each result as a line (gojq: jq 1.7's language)")
	o.sf.register(fs)
	fs.BoolVar(&o.slurp, "slurp", false, "write one JSON array of all items, or with -jq the results of EXPR on it, as jq -s does; holds every item in memory until the end (with -jq, decoded: several times its size in JSON), but with -o and no -jq; with -o, the items wait in FILE"+spoolSuffix+", which the same command resumes, and FILE is written whole at the end, or not at all")
	return fs
}

// usage writes pagecat -h: the flags by group, and examples.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageHead)
	for _, g := range flagGroups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, name := range g.names {
			f := fs.Lookup(name)
			kind, help := flag.UnquoteUsage(f)
			if kind != "" {
				kind = " " + kind
			}
			fmt.Fprintf(w, "  -%s%s\n    \t%s", f.Name, kind, help)
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprint(w, styleUsage)
	fmt.Fprint(w, usageTail)
}

// parseFlags parses args, in which flags may follow the URL. It returns
// the options even with an error, for -h.
func parseFlags(args []string, getenv func(string) (string, bool)) (*options, error) {
	o := &options{getenv: getenv}
	fs := newFlagSet(o)
	o.fs = fs
	var urls []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			urls = append(urls, rest...) // after --, no more flags
			break
		}
		urls, args = append(urls, rest[0]), rest[1:]
	}
	return o, o.check(urls)
}

func (o *options) check(args []string) error {
	switch {
	case o.demo && len(args) > 0:
		return errors.New("-demo takes no URL")
	case !o.demo && len(args) != 1:
		return fmt.Errorf("want one URL, got %d", len(args))
	case o.style != "" && !contains(styles, o.style):
		return fmt.Errorf("-style %q: want one of %s", o.style, strings.Join(styles, ", "))
	case o.progress != "auto" && o.progress != "always" && o.progress != "never":
		return fmt.Errorf("-progress %q: want auto, always or never", o.progress)
	case o.timeout <= 0:
		return fmt.Errorf("-timeout %v: want more than 0", o.timeout)
	case o.maxBodySize <= 0:
		return fmt.Errorf("-max-body-size %d: want more than 0", o.maxBodySize)
	case o.maxEmptyPages < 0:
		return fmt.Errorf("-max-empty-pages %d: want 0 or more", o.maxEmptyPages)
	case o.every < 0:
		return fmt.Errorf("-checkpoint-every %v: want 0 or more", o.every)
	case o.output == "" && (o.restart || o.every != time.Second):
		return errors.New("-restart and -checkpoint-every apply to -o FILE only")
	}
	if err := o.checkStyle(); err != nil {
		return err
	}
	if o.jqExpr != "" || o.slurp {
		jq, err := newJQ(o.jqExpr, o.slurp)
		if err != nil {
			return err
		}
		o.jq = jq
	}
	for _, b := range []struct {
		name     string
		v        int
		low, top int
	}{
		{"page-size", o.pageSize, 1, maxPageSize},
		{"max-page-size", o.maxPageSize, 0, maxPageSize},
		{"take", o.take, 0, maxCount},
		{"start-offset", o.startOffset, 0, maxCount},
		{"start-page", o.startPage, 1, maxCount},
		{"retry", o.retry, 0, maxRetry},
		{"prefetch", o.prefetch, 0, maxPrefetch},
	} {
		if b.v < b.low || b.v > b.top {
			return fmt.Errorf("-%s %d: want %d to %d", b.name, b.v, b.low, b.top)
		}
	}
	switch o.items {
	case bareArray, "none", "-":
		o.items = bareArray
	}
	h, err := o.headers.resolve(o.getenv)
	if err != nil {
		return err
	}
	o.header = h
	if !o.demo {
		o.url = args[0]
		if u, err := url.Parse(o.url); err != nil || !u.IsAbs() {
			return fmt.Errorf("%s is not an absolute URL", redactURL(o.url))
		}
	}
	return nil
}

// itemsField returns the Endpoint.Items of o.items.
func (o *options) itemsField() string {
	if o.items == bareArray {
		return ""
	}
	return o.items
}

// hostList is a repeatable flag of host names.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	if v == "" || strings.ContainsAny(v, "/?#@ ") {
		return fmt.Errorf("%q is not a host or host:port", v)
	}
	*h = append(*h, v)
	return nil
}
