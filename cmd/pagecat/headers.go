package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
)

// headers are the -H flags as given: 'Name: value', in which value may
// name environment variables ($NAME, ${NAME}), or @FILE, a file of such
// lines.
type headers []string

func (h *headers) String() string { return strings.Join(*h, "; ") }

// Set adds a -H flag. It is checked by resolve, whose errors, unlike the
// flag package's, do not quote the value: it may hold a secret.
func (h *headers) Set(v string) error {
	*h = append(*h, v)
	return nil
}

// resolve returns the headers, with the files read and the variables
// expanded by getenv.
func (h headers) resolve(getenv func(string) (string, bool)) (http.Header, error) {
	hh := make(http.Header)
	for _, v := range h {
		if file, ok := strings.CutPrefix(v, "@"); ok {
			if err := readHeaders(hh, file); err != nil {
				return nil, err
			}
			continue
		}
		name, value, ok := strings.Cut(v, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("-H: want 'Name: value' or @FILE (the value given is not shown: it may be a secret)")
		}
		value, err := expand(strings.TrimSpace(value), getenv)
		if err != nil {
			return nil, fmt.Errorf("-H %s: %w", name, err)
		}
		if err := addHeader(hh, name, value); err != nil {
			return nil, fmt.Errorf("-H %s: %w", name, err)
		}
	}
	return hh, nil
}

// readHeaders adds the headers in file to hh: one 'Name: value' per line;
// blank lines and lines starting with # are skipped. The values are taken
// as written. Errors name the line, never its value.
func readHeaders(hh http.Header, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("-H @%s: %w", file, err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("-H @%s: line %d: want 'Name: value'", file, i+1)
		}
		if err := addHeader(hh, strings.TrimSpace(name), strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("-H @%s: line %d: %w", file, i+1, err)
		}
	}
	return nil
}

// addHeader adds a header whose value has no control character: a line
// break in a value would start another header.
func addHeader(hh http.Header, name, value string) error {
	if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) {
		return fmt.Errorf("%q is not a header name", name)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
		return fmt.Errorf("the value of %s has a control character (a line break?)", name)
	}
	hh.Add(name, value)
	return nil
}

// expand replaces $NAME and ${NAME} in s with the values getenv gives; $$
// is a $, and a $ before anything else is kept. A variable that is not set
// is an error: a header sent as "Bearer " would fail later, and less
// clearly.
func expand(s string, getenv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		name, n := varName(s)
		switch {
		case strings.HasPrefix(s, "$"):
			b.WriteByte('$')
			s = s[1:]
			continue
		case name == "":
			b.WriteByte('$')
			continue
		}
		v, ok := getenv(name)
		if !ok {
			return "", fmt.Errorf("$%s is not set", name)
		}
		b.WriteString(v)
		s = s[n:]
	}
}

// varName returns the variable name that s, which follows a $, starts with
// (NAME or {NAME}), and the length of what names it; "" if none.
func varName(s string) (string, int) {
	if rest, ok := strings.CutPrefix(s, "{"); ok {
		end := strings.IndexByte(rest, '}')
		if end < 1 || !isName(rest[:end]) {
			return "", 0
		}
		return rest[:end], end + 2
	}
	n := 0
	for n < len(s) && isName(s[:n+1]) {
		n++
	}
	return s[:n], n
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	for i, c := range s {
		if c != '_' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// hidden returns the names of the headers given literally, without a
// variable or a file, whose values the resume command leaves out, and the
// -H flags it keeps. Headers that are never secret are kept.
func (h headers) hidden() (keep []string, names []string) {
	for _, v := range h {
		name, value, _ := strings.Cut(v, ":")
		name = strings.TrimSpace(name)
		switch {
		case strings.HasPrefix(v, "@"), hasVar(value), publicHeaders[http.CanonicalHeaderKey(name)]:
			keep = append(keep, v)
		case !contains(names, name):
			names = append(names, name)
		}
	}
	return keep, names
}

// publicHeaders are headers whose values are not secret.
var publicHeaders = map[string]bool{
	"Accept": true, "Accept-Language": true, "Accept-Encoding": true, "Content-Type": true,
	"User-Agent": true, "X-Github-Api-Version": true, "Prefer": true,
}

// hasVar reports whether value names an environment variable.
func hasVar(value string) bool {
	named := false
	_, _ = expand(value, func(string) (string, bool) { named = true; return "", true })
	return named
}

// hide replaces the values of o's headers in msg with REDACTED, but those
// of headers that are never secret, and those of its URL's secret query
// parameters: a server may echo a request's headers, or its path and
// query, in its error message. Short values are left, lest "1" vanish
// from every message, but for a query parameter's after its name
// ("api_key=…"); a value's words are hidden too, such as the token of
// "Bearer <token>".
func (o *options) hide(msg string) string {
	pairs, secrets := urlSecrets(o.url)
	for _, pair := range pairs {
		name, _, _ := strings.Cut(pair, "=")
		msg = strings.ReplaceAll(msg, pair, name+"="+redacted)
	}
	for name, values := range o.header {
		if publicHeaders[name] {
			continue
		}
		for _, v := range values {
			secrets = append(secrets, v)
			secrets = append(secrets, strings.Fields(v)...)
		}
	}
	// Longest first, so that a value goes before the words in it.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if len(s) >= 8 {
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	return msg
}
