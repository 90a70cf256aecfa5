package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pagerseq/pager/pagerhttp"
)

// redacted replaces the value of a secret query parameter.
const redacted = "REDACTED"

// redactURL returns u with the values of its secret query parameters, and
// its password if any, replaced by REDACTED; the rest is kept as written.
func redactURL(u string) string {
	s, _ := redactQuery(u)
	return s
}

// redactQuery is redactURL, and it returns the names of the parameters it
// redacted.
func redactQuery(u string) (string, []string) {
	head, query, ok := strings.Cut(u, "?")
	head = redactPassword(head)
	if !ok {
		return head, nil
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	var names []string
	pairs := strings.Split(query, "&")
	for i, pair := range pairs {
		name, _, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil && pagerhttp.SecretParam(n) {
			pairs[i] = name + "=" + redacted
			names = append(names, n)
		}
	}
	s := head + "?" + strings.Join(pairs, "&")
	if hasFrag {
		s += "#" + frag
	}
	return s, names
}

// urlSecrets returns what a server may echo of u's secrets: its secret
// query parameters as written ("api_key=hunter2"), and their values,
// written and decoded, with u's password.
func urlSecrets(u string) (pairs, values []string) {
	parsed, err := url.Parse(u)
	if err != nil {
		return nil, nil
	}
	if p, ok := parsed.User.Password(); ok {
		values = append(values, p)
	}
	for _, pair := range strings.Split(parsed.RawQuery, "&") {
		name, v, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err != nil || v == "" || !pagerhttp.SecretParam(n) {
			continue
		}
		pairs, values = append(pairs, pair), append(values, v)
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			values = append(values, d)
		}
	}
	return pairs, values
}

// redactPassword redacts the password in the user info of u, a URL
// without its query.
func redactPassword(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	start := len(u) - len(rest)
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return u
	}
	colon := strings.IndexByte(authority[:at], ':')
	if colon < 0 {
		return u
	}
	return u[:start+colon+1] + redacted + u[start+at:]
}

// urlPattern finds URLs in text.
var urlPattern = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// redactText redacts the secrets of every URL in s. Punctuation that ends
// a URL (a colon, a full stop) is taken as the text's, not the URL's.
func redactText(s string) string {
	return urlPattern.ReplaceAllStringFunc(s, func(u string) string {
		end := len(strings.TrimRight(u, ".,:;!?)]}"))
		return redactURL(u[:end]) + u[end:]
	})
}

// escape returns s with its control characters (ESC, CR, line breaks…),
// bidirectional controls and invalid UTF-8 written as Go escapes, so that
// text from a server cannot move the cursor, set a window title or fake a
// line of its own on a terminal.
func escape(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) && r != '\t' || unicode.Is(unicode.Bidi_Control, r)
}

// clean makes text from anywhere fit for stderr: secrets redacted,
// control characters escaped.
func clean(s string) string { return escape(redactText(s)) }
