package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// options are pagecat's flags.
type options struct {
	style, items                                   string
	pageSize, maxPageSize                          int
	limitParam, offsetParam, tokenParam, pageParam string
	totalField, hasMoreField, nextField            string
	headers                                        headers
	take, retry, prefetch                          int
	startOffset, startPage                         int
	startToken                                     string
	progress                                       string
	timeout                                        time.Duration
	demo                                           bool
	url                                            string

	fs *flag.FlagSet // to print the resume command
}

var styles = []string{"offset", "token", "page", "link", "ndjson"}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("pagecat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pagecat [flags] URL\n       pagecat -demo [flags]\n\n"+
			"Pagecat walks every page of a JSON API and writes the items to stdout as NDJSON.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.style, "style", "", "pagination style: "+strings.Join(styles, ", ")+"; detected from the first response if empty")
	fs.StringVar(&o.items, "items", "", "the JSON field that holds the items (data, result.items); detected if empty; none for a bare array")
	fs.IntVar(&o.pageSize, "page-size", 100, "items to ask for per page")
	fs.IntVar(&o.maxPageSize, "max-page-size", 0, "the server's largest page: never ask for more (0: no cap)")
	fs.StringVar(&o.limitParam, "limit-param", "", "query parameter for the page size (default limit, pageSize or per_page by style; - for none)")
	fs.StringVar(&o.offsetParam, "offset-param", "", "query parameter for the offset (default offset; for ndjson none: name the server's to make a broken stream resumable)")
	fs.StringVar(&o.tokenParam, "token-param", "", "query parameter for the page token (default pageToken)")
	fs.StringVar(&o.pageParam, "page-param", "", "query parameter for the page number (default page)")
	fs.StringVar(&o.totalField, "total-field", "", "JSON field with the total number of items (default total)")
	fs.StringVar(&o.hasMoreField, "has-more-field", "", "JSON field that is false on the last page (default has_more)")
	fs.StringVar(&o.nextField, "next-field", "", "JSON field with the next page's token (default nextPageToken)")
	fs.Var(&o.headers, "H", "request header, as 'Name: value' (repeatable)")
	fs.IntVar(&o.take, "take", 0, "stop after this many items (0: all)")
	fs.IntVar(&o.retry, "retry", 5, "tries per page, the first included")
	fs.IntVar(&o.prefetch, "prefetch", 0, "fetch up to N pages ahead of the output (offset style: N at once); 0: none")
	fs.IntVar(&o.startOffset, "start-offset", 0, "resume at this offset")
	fs.StringVar(&o.startToken, "start-token", "", "resume at this page token (token style) or URL (link style)")
	fs.IntVar(&o.startPage, "start-page", 1, "resume at this page number (page style)")
	fs.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (when stderr is a terminal), always or never")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "time limit per request")
	fs.BoolVar(&o.demo, "demo", false, "export from a simulated API started on 127.0.0.1")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.fs = fs
	return o, o.check(fs.Args())
}

func (o *options) check(args []string) error {
	switch {
	case o.demo && len(args) > 0:
		return errors.New("-demo takes no URL")
	case !o.demo && len(args) != 1:
		return errors.New("want one URL")
	case o.style != "" && !contains(styles, o.style):
		return fmt.Errorf("-style %q: want one of %s", o.style, strings.Join(styles, ", "))
	case o.pageSize < 1 || o.maxPageSize < 0 || o.take < 0 || o.startOffset < 0 || o.startPage < 1 || o.prefetch < 0:
		return errors.New("-page-size and -start-page must be at least 1; -max-page-size, -take, -prefetch and -start-offset at least 0")
	case o.progress != "auto" && o.progress != "always" && o.progress != "never":
		return fmt.Errorf("-progress %q: want auto, always or never", o.progress)
	}
	if !o.demo {
		o.url = args[0]
		if u, err := url.Parse(o.url); err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URL", o.url)
		}
	}
	return nil
}

// headers are the -H flags.
type headers []string

func (h *headers) String() string { return strings.Join(*h, "; ") }

func (h *headers) Set(v string) error {
	if name, _, ok := strings.Cut(v, ":"); !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q: want 'Name: value'", v)
	}
	*h = append(*h, v)
	return nil
}

func (h headers) header() http.Header {
	hh := make(http.Header)
	for _, v := range h {
		name, value, _ := strings.Cut(v, ":")
		hh.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return hh
}

// run is pagecat with its arguments and output streams; it returns the
// exit code: 0 on success, 1 on failure, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "pagecat: %v\nRun pagecat -h for help.\n", err)
		return 2
	}
	if o.demo {
		stopDemo, err := startDemo(o, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "pagecat: %v\n", err)
			return 1
		}
		defer stopDemo()
	}
	client := &http.Client{Timeout: o.timeout}
	defer client.CloseIdleConnections()
	prog := newProgress(stderr, o.progress)
	if o.style == "" || (o.items == "" && o.style != "link" && o.style != "ndjson") {
		if err := detect(ctx, client, o); err != nil {
			fmt.Fprintf(stderr, "pagecat: %v\n", err)
			return 1
		}
		prog.note("style %s, items in %s", o.style, itemsName(o.items))
	}
	return export(ctx, o, source(o, client, prog), stdout, stderr, prog)
}

func itemsName(items string) string {
	if items == "" {
		return "a bare array"
	}
	return fmt.Sprintf("%q", items)
}

// source returns the walk o asks for.
func source(o *options, client *http.Client, prog *progress) pager.Source[json.RawMessage] {
	ep := pagerhttp.Endpoint{
		URL: o.url, Header: o.headers.header(), Client: client, Items: o.items,
		LimitParam: o.limitParam, OffsetParam: o.offsetParam, TokenParam: o.tokenParam, PageParam: o.pageParam,
		Total: o.totalField, HasMore: o.hasMoreField, NextToken: o.nextField,
	}
	opts := []pager.Option{
		pager.Retry(pager.RetryPolicy{Attempts: o.retry}),
		pager.StartOffset(o.startOffset),
		pager.OnPage(prog.page),
	}
	if o.style == "ndjson" { // one stream: no pages to size, no token
		return prefetch(o, pagerhttp.NDJSONStream[json.RawMessage](ep, opts...))
	}
	opts = append(opts, pager.PageSize(o.pageSize))
	if o.maxPageSize > 0 {
		opts = append(opts, pager.MaxPageSize(o.maxPageSize))
	}
	withToken := opts
	if o.startToken != "" {
		withToken = append(opts, pager.StartToken(o.startToken))
	}
	switch o.style {
	case "token":
		return prefetch(o, pager.Token(pagerhttp.TokenFetch[json.RawMessage](ep), withToken...))
	case "page":
		return prefetch(o, pager.PageNumber(pagerhttp.PageNumberFetch[json.RawMessage](ep), append(opts, pager.StartPage(o.startPage))...))
	case "link":
		return prefetch(o, pagerhttp.Link[json.RawMessage](ep, withToken...))
	default:
		return prefetch(o, pager.Offset(pagerhttp.OffsetFetch[json.RawMessage](ep), opts...))
	}
}

// prefetch returns src, fetching ahead if o says so.
func prefetch(o *options, src pager.Source[json.RawMessage]) pager.Source[json.RawMessage] {
	if o.prefetch > 0 {
		src = pager.Prefetch(src, o.prefetch)
	}
	return src
}

// export writes the items of src to stdout, one per line, and returns the
// exit code. Each page is flushed whole, so that on a failure the output
// ends with the last item of the last page fetched.
func export(ctx context.Context, o *options, src pager.Source[json.RawMessage], stdout, stderr io.Writer, prog *progress) int {
	out := bufio.NewWriterSize(stdout, 64<<10)
	written := 0
	var line bytes.Buffer
	for p, err := range src.Pages(ctx) {
		if err != nil {
			prog.done()
			return o.fail(stderr, err, written)
		}
		for i, item := range p.Items {
			line.Reset()
			if err := json.Compact(&line, item); err != nil {
				prog.done()
				return o.fail(stderr, fmt.Errorf("item at offset %d: %w", p.Offset+i, err), written)
			}
			line.WriteByte('\n')
			if _, err := out.Write(line.Bytes()); err != nil {
				break // the flush below reports it
			}
			if written++; written == o.take {
				break
			}
		}
		if err := out.Flush(); err != nil {
			prog.done()
			fmt.Fprintf(stderr, "pagecat: writing the items: %v\n", err)
			return 1
		}
		if written == o.take {
			break
		}
	}
	prog.done()
	return 0
}

// fail reports err, and how to resume after the written items.
func (o *options) fail(stderr io.Writer, err error, written int) int {
	fmt.Fprintf(stderr, "pagecat: %v\n", err)
	var pe *pager.PageError
	if !errors.As(err, &pe) {
		fmt.Fprintf(stderr, "pagecat: %d items written\n", written)
		return 1
	}
	resume := map[string]string{}
	switch o.style {
	case "token", "link":
		if pe.Token != "" {
			resume["start-token"] = pe.Token
			resume["start-offset"] = fmt.Sprint(pe.Offset)
		}
	case "page":
		resume["start-page"] = fmt.Sprint(pe.Page)
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	case "ndjson":
		if o.offsetParam == "" {
			fmt.Fprintf(stderr, "pagecat: %d items written; the stream cannot be resumed after them without -offset-param, the server's parameter for the first item to stream\n", written)
			return 1
		}
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	default:
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	}
	if o.take > 0 {
		resume["take"] = fmt.Sprint(o.take - written)
	}
	fmt.Fprintf(stderr, "pagecat: %d items written; to resume after them, run:\n  %s\n", written, o.command(resume))
	return 1
}

// command returns the pagecat command line of o, with the flags in set
// changed, and the style and items as detected.
func (o *options) command(set map[string]string) string {
	set["style"] = o.style
	if o.items != "" {
		set["items"] = o.items
	}
	args := []string{"pagecat"}
	o.fs.VisitAll(func(f *flag.Flag) {
		v, changed := set[f.Name]
		switch {
		case f.Name == "H":
			for _, h := range o.headers {
				args = append(args, "-H", quote(h))
			}
			return
		case changed:
		case f.Value.String() != f.DefValue && !strings.HasPrefix(f.Name, "start-") && f.Name != "take":
			v = f.Value.String()
		default:
			return
		}
		if f.Name == "demo" {
			args = append(args, "-demo")
			return
		}
		args = append(args, "-"+f.Name+"="+quote(v))
	})
	if !o.demo {
		args = append(args, quote(o.url))
	}
	return strings.Join(args, " ")
}

// quote quotes s for a POSIX shell, if it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
