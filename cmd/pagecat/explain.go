package main

import (
	"fmt"
	"io"
	"strings"
)

// explain writes the plan p that detection found for o (-explain): the
// style, where the items are, where the next page comes from, what ends
// the walk, the first two requests, and the flags that say all of it, so
// that a script can pin it.
func explain(w io.Writer, o *options, p *plan) {
	if p.answer.stream != nil {
		p.answer.stream.Close()
	}
	second := "none: the first page is the last"
	switch {
	case len(p.urls) < 2:
		second = "the stream is one response"
	case p.urls[1] != "":
		second = o.hide(redactURL(p.urls[1]))
		if p.style != "link" && p.style != "next" && p.style != "ndjson" {
			second += " (not sent by -explain; an export checks the guess on it first)"
		}
	case p.how == "" && p.style != "ndjson":
		second = "not known: -style given"
	}
	items := o.items
	switch {
	case p.style == "ndjson":
		items = "each line"
	case items == bareArray:
		items = ". (a bare array)"
	}
	lines := [][2]string{
		{"style", p.style},
		{"items", items},
		{"next page", or(p.how, "as -style "+p.style+" says")},
		{"end", or(p.end, "as -style "+p.style+" says")},
		{"request 1", o.hide(redactURL(p.urls[0]))},
		{"request 2", second},
		{"flags", o.planFlags()},
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%-10s %s\n", l[0]+":", escape(l[1]))
	}
}

// planFlags returns the flags of o's plan that are not at their
// defaults, as a command line would give them.
func (o *options) planFlags() string {
	var args []string
	for _, name := range append([]string{"style", "items"}, detected[2:]...) {
		f := o.fs.Lookup(name)
		if v := f.Value.String(); v != f.DefValue && v != "" {
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
				args = append(args, "-"+name)
				continue
			}
			args = append(args, "-"+name+"="+quote(v))
		}
	}
	return strings.Join(args, " ")
}

// note says what detection found, in one line for -progress, fit for a
// terminal: the guesses it tried quote the server's tokens.
func (p *plan) note(o *options) string {
	items := itemsName(o.items)
	if o.style == "ndjson" {
		items = "each line"
	}
	s := fmt.Sprintf("style %s, items in %s", o.style, items)
	if p.how != "" {
		s += "; next page: " + p.how
	}
	if len(p.tried) > 0 {
		s += " (not: " + strings.Join(p.tried, "; ") + ")"
	}
	return clean(s)
}
