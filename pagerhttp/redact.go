package pagerhttp

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redact returns u with the values of its query parameters that look like
// secrets replaced by REDACTED, and any password in it hidden: api_key,
// apikey, access_token, token, key, signature, sig, password, secret,
// client_secret, auth, and names ending in _token, _key, _secret or
// _signature, in any case (X-Amz-Signature too). The fragment is treated as
// a query. A u that does not parse as a URL loses everything after its
// path. Every URL in pagerhttp's errors has gone through Redact.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		u, _, _ = strings.Cut(u, "?")
		u, _, _ = strings.Cut(u, "#")
		return sanitize(u)
	}
	p.RawQuery = redactQuery(p.RawQuery)
	if p.Fragment != "" {
		raw := redactQuery(p.EscapedFragment())
		if f, err := url.PathUnescape(raw); err == nil {
			p.Fragment, p.RawFragment = f, raw
		}
	}
	return sanitize(p.Redacted())
}

// redactQuery redacts the secret values of q, a raw query, keeping the
// order and spelling of everything else.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, part := range parts {
		name, _, ok := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if ok && SecretParam(name) {
			parts[i] = name + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// secretNames are the query parameters whose values are secrets, by name
// in lower case without '-' and '_'.
var secretNames = map[string]bool{
	"apikey": true, "key": true, "token": true, "accesstoken": true, "refreshtoken": true,
	"idtoken": true, "authtoken": true, "auth": true, "authorization": true, "signature": true,
	"sig": true, "password": true, "passwd": true, "pwd": true, "secret": true,
	"clientsecret": true, "sessiontoken": true, "securitytoken": true, "session": true,
	"sessionid": true, "xamzsignature": true, "xamzcredential": true, "xamzsecuritytoken": true,
	"credential": true, "privatekey": true,
}

// secretSuffixes make a parameter secret too (client_secret, db_password,
// github_token).
var secretSuffixes = [...]string{"secret", "password", "signature", "apikey", "accesstoken",
	"authtoken", "sessiontoken", "refreshtoken", "bearertoken", "privatekey", "githubtoken"}

// SecretParam reports whether the values of query parameters of this name
// are secrets, which messages redact: api_key, access_token,
// X-Amz-Signature, clientSecret, …. A pagination token (pageToken,
// next_token, cursor) is not one.
func SecretParam(name string) bool {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	if secretNames[n] {
		return true
	}
	if strings.Contains(n, "page") || strings.Contains(n, "next") || strings.Contains(n, "cursor") {
		return false
	}
	for _, suffix := range secretSuffixes {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// maxExcerpt is how much of a server's text an error message quotes.
const maxExcerpt = 256

// excerpt returns the start of server text s, on one line, at most
// maxExcerpt bytes, its control characters escaped.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return sanitize(s)
}

// sanitize escapes, as strconv.Quote would, what in s could drive a
// terminal or hide text: control characters (ESC, BEL, CR, …), Unicode
// format characters (bidi overrides) and invalid UTF-8. Other text stays
// as it is.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
