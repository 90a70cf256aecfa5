package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// run is pagecat with its arguments and output streams; it returns the
// exit code: 0 on success, 1 on failure, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout, o.fs)
		return 0
	}
	if err != nil {
		say(stderr, "%v; run pagecat -h for help", err)
		return 2
	}
	tuneGC(o.slurp)
	net := &watcher{next: http.DefaultTransport.(*http.Transport).Clone()}
	// No Client.Timeout: it would bound whole exchanges and kill a healthy
	// stream. -timeout bounds the wait for headers and for each read
	// (Endpoint.HeaderTimeout and IdleTimeout), and the detecting request.
	rp := &replay{next: net} // detection's answers, for the walk
	defer rp.close()
	client := &http.Client{Transport: rp}
	defer client.CloseIdleConnections()
	prog := newProgress(stderr, o.progress)
	prog.net = net
	// One quota for detection's requests and the walk's: an answer that
	// says it is spent holds back the next request, whichever sends it.
	o.quota = &pagerhttp.Quota{OnWait: prog.quotaWait}
	var demo *narrator
	if o.demo {
		n, stopDemo, err := startDemo(o, prog)
		if err != nil {
			say(stderr, "%v", err)
			return 1
		}
		defer stopDemo()
		demo, net.event = n, n.event
	}
	st, code := resumeState(o, stderr)
	if code >= 0 {
		return code
	}
	if o.explain || o.style == "" || (o.items == "" && o.style != "link" && o.style != "ndjson") {
		p, err := detect(ctx, client, o, rp)
		if err != nil {
			say(stderr, "%s", o.hide(o.words(err.Error())))
			if errors.Is(err, pagerhttp.ErrQuotaSpent) {
				say(stderr, "nothing written; run the same command after the quota's reset")
			}
			return 1
		}
		if o.explain {
			explain(stdout, o, p)
			return 0
		}
		prog.note("%s", p.note(o))
		if p.answered {
			// The walk sends no request: a reset that detection's answer
			// reported (GitHub's last request of the hour) is not waited for.
			o.quota = &pagerhttp.Quota{OnWait: prog.quotaWait}
		}
	}
	s, cp, err := newSink(o, st, stdout)
	if err != nil {
		say(stderr, "%s", o.hide(err.Error()))
		return 1
	}
	defer s.close()
	if o.style == "ndjson" && !o.slurp {
		defer s.out.flushLive()()
	}
	if st != nil && st.Items > 0 {
		say(stderr, "%s holds %d items; resuming after them", o.writePath(), st.Items)
	}
	code = export(o, items(ctx, o, source(o, client, onPage(prog, s, demo), cp.Offset), cp), s, stderr, prog)
	if demo != nil && code == 0 {
		demo.end(s.read)
	}
	return code
}

// onPage returns the walk's OnPage func: progress, the sink's count, and
// the demo's narration if demo is not nil.
func onPage(prog *progress, s *sink, demo *narrator) func(pager.PageInfo) {
	return func(info pager.PageInfo) {
		prog.page(info)
		s.page()
		if demo != nil {
			demo.page(info)
		}
	}
}

// resumeState returns the checkpoint of -o FILE to resume from, or nil
// to start afresh, and -1; or the exit code, if there is nothing to do
// (FILE is complete) or the checkpoint is not this command's.
func resumeState(o *options, stderr io.Writer) (*state, int) {
	if o.output == "" {
		return nil, -1
	}
	if o.restart {
		if err := os.Remove(statePath(o.output)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			say(stderr, "%v", err)
			return nil, 1
		}
		return nil, -1
	}
	st, err := loadState(o.output)
	if err != nil || st == nil {
		if err != nil {
			say(stderr, "%v", err)
			return nil, 1
		}
		return nil, -1
	}
	if why := o.adopt(st); why != "" {
		say(stderr, "%s was written by another export: %s; run the command that wrote it, or add -restart to export to it from the start", o.output, why)
		return nil, 2
	}
	if st.Done || o.take > 0 && st.Items >= o.take {
		if err := finishSlurp(o, st); err != nil { // a run killed before it wrote FILE
			say(stderr, "%v", err)
			return nil, 1
		}
	}
	switch {
	case st.Done:
		say(stderr, "%s is complete: %d items; nothing to fetch (add -restart to export it again)", o.output, st.Items)
		return nil, 0
	case o.take > 0 && st.Items >= o.take:
		say(stderr, "%s holds the %d items -take asks for; nothing to fetch (raise -take for more, or add -restart)", o.output, st.Items)
		return nil, 0
	case st.Items > 0 && o.style == "ndjson" && o.offsetParam == "":
		say(stderr, "%s holds %d items of a stream that cannot resume after them without -offset-param; add -restart to export it from the start", o.output, st.Items)
		return nil, 1
	}
	return st, -1
}

// newSink returns where the items go, and the checkpoint to walk from: a
// fresh one, or st's, with -o FILE cut to the records st covers.
func newSink(o *options, st *state, stdout io.Writer) (*sink, *pager.Checkpoint, error) {
	cp := &pager.Checkpoint{}
	if o.style == "ndjson" {
		cp.Offset = o.startOffset // items counts from there
	}
	s := &sink{out: &lineWriter{w: stdout}, jq: o.jq, cp: cp, style: o.style, every: o.every}
	if o.output == "" {
		return s, cp, nil
	}
	if o.slurp {
		s.jq = nil // the items go to the spool as they are: see slurp.go
	}
	if st != nil {
		c, err := restoreLink(o.style, st.Checkpoint, o.url)
		if err != nil {
			return nil, nil, err
		}
		*cp = c
		s.read = st.Items
	}
	f, err := openOutput(o, st)
	if err != nil {
		return nil, nil, err
	}
	s.out.w = f
	if st == nil {
		st = &state{Version: stateVersion, Command: o.fingerprint()}
	}
	s.file, s.path, s.st, s.saved = f, o.output, st, time.Now()
	s.closer = f
	return s, cp, nil
}

// say writes a line to stderr, with the secrets of any URL in it redacted
// and control characters escaped.
func say(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "pagecat: %s\n", clean(fmt.Sprintf(format, args...)))
}

func itemsName(items string) string {
	if items == bareArray || items == "" {
		return "a bare array"
	}
	return fmt.Sprintf("%q", items)
}

// source returns the walk o asks for.
//
// Its start flags apply to a walk that starts afresh; [pager.AllFrom]
// starts it at a checkpoint instead, but for an NDJSON stream, which
// starts at offset start.
func source(o *options, client *http.Client, onPage func(pager.PageInfo), start int) pager.Source[json.RawMessage] {
	ep := pagerhttp.Endpoint{
		URL: o.url, Header: o.header, Client: client, Items: o.itemsField(),
		HeaderTimeout: o.timeout, IdleTimeout: o.timeout,
		AllowHosts: o.allowHosts, MaxBodySize: o.maxBodySize, Quota: o.quota,
		LimitParam: o.limitParam, OffsetParam: o.offsetParam, TokenParam: o.tokenParam, PageParam: o.pageParam,
		Total: o.totalField, HasMore: o.hasMoreField, NextToken: o.nextField,
		TotalPages: o.totalPagesField, PagesFromZero: o.pagesFromZero, TotalHeader: o.totalHeader,
	}
	opts := []pager.Option{
		pager.Retry(pager.RetryPolicy{Attempts: o.retry}),
		pager.StartOffset(o.startOffset),
		pager.OnPage(onPage),
	}
	if o.style == "ndjson" { // one stream: no pages to size, no token
		opts[1] = pager.StartOffset(start)
		return prefetch(o, pagerhttp.NDJSONStream[json.RawMessage](ep, opts...))
	}
	opts = append(opts, pager.PageSize(o.pageSize))
	if o.maxPageSize > 0 {
		opts = append(opts, pager.MaxPageSize(o.maxPageSize))
	}
	withToken := append(opts[:len(opts):len(opts)], pager.MaxEmptyPages(o.maxEmptyPages))
	if o.startToken != "" {
		withToken = append(withToken, pager.StartToken(o.startToken))
	}
	if src, ok := o.styleSource(ep, withToken); ok {
		return prefetch(o, src)
	}
	switch o.style {
	case "token":
		return prefetch(o, pager.Token(pagerhttp.TokenFetch[json.RawMessage](ep), withToken...))
	case "page":
		fetch := pagerhttp.PageNumberFetch[json.RawMessage](ep)
		return prefetch(o, pager.PageNumber(fetch, append(opts, pager.StartPage(o.startPage))...))
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

// fail reports err, and how to resume after the items written: this
// run's, and with -o all in FILE.
func (o *options) fail(stderr io.Writer, err error, written, all int) int {
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted")
	}
	say(stderr, "%s", o.hide(o.words(err.Error())))
	when := "" // when to run the command again
	if errors.Is(err, pagerhttp.ErrQuotaSpent) {
		when = " after the quota's reset"
	}
	var jerr *jqError
	if o.output != "" && errors.As(err, &jerr) {
		say(stderr, "%s holds %d items; run the same command to try the item again, or mend -jq and add -restart (a checkpoint holds to its -jq)", o.writePath(), all)
		return 1
	}
	if o.output != "" && !errors.Is(err, pager.ErrRepeatedPage) && !errors.Is(err, pager.ErrRepeatedToken) {
		if all == 0 {
			say(stderr, "%s holds no items; run the same command%s to try again", o.writePath(), when)
		} else {
			say(stderr, "%s holds %d items; run the same command%s to resume after them", o.writePath(), all, when)
		}
		return 1
	}
	if errors.Is(err, pager.ErrRepeatedPage) || errors.Is(err, pager.ErrRepeatedToken) {
		// Resuming would meet the same repeat: say what to change instead.
		say(stderr, "%d items written; %s", written, o.repeatedAdvice())
		return 1
	}
	var oe *pagerhttp.OriginError
	if errors.As(err, &oe) {
		// Resuming would meet the same next URL.
		say(stderr, "%d items written; the server named a next page at %s, which pagecat does not follow with your headers: if you trust it, add -allow-host %s", written, escape(oe.Host), escape(oe.Host))
		return 1
	}
	if written == 0 && !retryable(err) && when == "" {
		// The same command would meet the same answer.
		say(stderr, "nothing written; asking again will get the same answer: mend the command as the message above says")
		return 1
	}
	var pe *pager.PageError
	if !errors.As(err, &pe) {
		say(stderr, "%d items written", written)
		return 1
	}
	resume := map[string]string{}
	switch o.style {
	case "token", "link", "next", "keyset", "header", "body", "graphql", "changes":
		if pe.Token != "" {
			resume["start-token"] = pe.Token
			resume["start-offset"] = fmt.Sprint(pe.Offset)
		}
	case "page":
		resume["start-page"] = fmt.Sprint(pe.Page)
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	case "ndjson":
		if o.offsetParam == "" {
			say(stderr, "%d items written; the stream cannot be resumed after them without -offset-param, the server's parameter for the first item to stream", written)
			return 1
		}
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	default:
		resume["start-offset"] = fmt.Sprint(pe.Offset)
	}
	if o.startsAt(resume) {
		say(stderr, "%d items written; run the same command%s to try again", written, when)
		return 1
	}
	if o.take > 0 {
		resume["take"] = fmt.Sprint(o.take - written)
	}
	line, notes := o.command(resume)
	say(stderr, "%d items written; to resume after them%s, run:", written, when)
	fmt.Fprintf(stderr, "  %s\n", escape(line))
	for _, n := range notes {
		say(stderr, "%s", n)
	}
	return 1
}

// startsAt reports whether resume, the start flags of a resume command,
// would start where o started: the same command again.
func (o *options) startsAt(resume map[string]string) bool {
	for _, name := range []string{"start-offset", "start-token", "start-page"} {
		v, ok := resume[name]
		if !ok {
			v = o.fs.Lookup(name).DefValue
		}
		if v != o.fs.Lookup(name).Value.String() {
			return false
		}
	}
	return true
}

// repeatedAdvice says what to set when the server answered two requests
// with the same page: it ignored the parameter that moves through the
// listing.
func (o *options) repeatedAdvice() string {
	if advice, ok := o.styleRepeatedAdvice(); ok {
		return advice
	}
	switch o.style {
	case "token":
		return fmt.Sprintf("the server ignores the token parameter %q: set -token-param to the one it reads (cursor? next?)", or(o.tokenParam, "pageToken"))
	case "link":
		return "the server's next links go round in a loop; no flag can mend that"
	case "page":
		return fmt.Sprintf("the server ignores the page parameter %q: set -page-param to the one it reads, or -style to how it pages (%s)",
			or(o.pageParam, "page"), strings.Join(styles, ", "))
	}
	return fmt.Sprintf("the server ignores the offset parameter %q: set -offset-param to the one it reads (skip? start?), or -style to how it pages (%s); if the URL is a plain file, the items written are all of it",
		or(o.offsetParam, "offset"), strings.Join(styles, ", "))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// words rewrites the advice in the library's messages from its Go names
// into pagecat's flags.
func (o *options) words(msg string) string {
	return strings.NewReplacer(
		"set Endpoint.Items to", "set -items to",
		"leave Endpoint.Items empty", "set -items .",
		"Endpoint.IdleTimeout", "-timeout",
		"Endpoint.HeaderTimeout", "-timeout",
		"Endpoint.OffsetParam", "-offset-param",
		"Endpoint.LimitParam", "-limit-param",
		"Endpoint.TokenParam", "-token-param",
		"Endpoint.PageParam", "-page-param",
		"Endpoint.NextToken", "-next-field",
		"Endpoint.HasMore", "-has-more-field",
		"Endpoint.TotalPages", "-total-pages-field",
		"Endpoint.Total", "-total-field",
		"Endpoint.Items", "-items",
		"Endpoint.AllowHosts", "-allow-host",
		"Endpoint.MaxBodySize", "-max-body-size",
		"Endpoint.MaxQuotaWait is", "pagecat waits at most",
		"(MaxEmptyPages)", "(-max-empty-pages)",
		"Endpoint.", "-",
	).Replace(msg)
}

// command returns the pagecat command line of o, with the flags in set
// changed, and the style and items as detected, and notes on what it
// leaves out: the values of headers given literally, and secrets in URLs.
func (o *options) command(set map[string]string) (string, []string) {
	set["style"] = o.style
	if o.items != "" {
		set["items"] = o.items
	}
	var notes []string
	keep, hidden := o.headers.hidden()
	var secrets []string
	args := []string{"pagecat"}
	o.fs.VisitAll(func(f *flag.Flag) {
		v, changed := set[f.Name]
		switch {
		case f.Name == "H":
			for _, h := range keep {
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
		v = hideStyleValue(f.Name, v, &secrets)
		if f.Name == "start-token" && strings.Contains(v, "://") {
			var names []string
			v, names = redactQuery(v)
			secrets = append(secrets, names...)
		}
		args = append(args, "-"+f.Name+"="+quote(v))
	})
	if !o.demo {
		u, names := redactQuery(o.url)
		secrets = append(secrets, names...)
		args = append(args, quote(u))
	}
	if len(hidden) > 0 {
		notes = append(notes, fmt.Sprintf("add back the header values left out above (%s), or give them as -H 'Name: $VAR' or -H @FILE so that they stay off the command line",
			strings.Join(hidden, ", ")))
	}
	if len(secrets) > 0 {
		slices.Sort(secrets)
		notes = append(notes, fmt.Sprintf("put back the value of %s, shown as %s", strings.Join(slices.Compact(secrets), ", "), redacted))
	}
	return strings.Join(args, " "), notes
}

// quote quotes s for a POSIX shell, if it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// retryable reports whether asking again may heal err: it says so, or does
// not say (pager.RetryPolicy's rule).
func retryable(err error) bool {
	var r interface{ Retryable() bool }
	return !errors.As(err, &r) || r.Retryable()
}
