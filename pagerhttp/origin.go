package pagerhttp

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// An OriginError reports a URL that a walk refused to request: a next link
// (or a [pager.StartToken] given to [Link]) on another origin than
// [Endpoint.URL]'s and not in [Endpoint.AllowHosts], a step down from https
// to http, or a scheme other than http and https. It is not retried.
type OriginError struct {
	Scheme string // of the refused URL: "http", "file", …
	Host   string // of the refused URL, with its port if it has one
	Reason string // "another origin than https://api.example.com", …
}

func (e *OriginError) Error() string {
	where := e.Scheme + ":" // javascript:, mailto:
	switch {
	case e.Host != "":
		where = e.Scheme + "://" + e.Host
	case e.Scheme == "":
		where = "a relative URL"
	}
	return fmt.Sprintf("pagerhttp: refused to request %s: %s", sanitize(where), e.Reason)
}

// Retryable returns false: the same URL will be refused again.
func (e *OriginError) Retryable() bool { return false }

// origin is the scheme, host and port that the caller's headers belong to.
type origin struct {
	scheme, host, port string // lower case; port made explicit
	allow              map[string]bool
}

func newOrigin(base *url.URL, allowHosts []string) origin {
	for _, h := range allowHosts {
		if h == "" || strings.ContainsAny(h, "/?#@") {
			panic(fmt.Sprintf("pagerhttp: Endpoint.AllowHosts entry %q: want a host, or host:port", h))
		}
	}
	o := origin{scheme: strings.ToLower(base.Scheme), host: strings.ToLower(base.Hostname()), port: portOf(base)}
	for _, h := range allowHosts {
		o.allowHost(h)
	}
	return o
}

// allowHost adds an entry of Endpoint.AllowHosts: "host" for the scheme's
// default port, "host:port" for that port.
func (o *origin) allowHost(h string) {
	if o.allow == nil {
		o.allow = make(map[string]bool)
	}
	h = strings.ToLower(h)
	if _, _, err := net.SplitHostPort(h); err == nil {
		o.allow[h] = true
		return
	}
	o.allow[net.JoinHostPort(strings.Trim(h, "[]"), "")] = true // any scheme's default port
}

// check returns an *OriginError if u may not be requested.
func (o *origin) check(u *url.URL) error {
	scheme := strings.ToLower(u.Scheme)
	refuse := func(reason string) error {
		return &OriginError{Scheme: scheme, Host: u.Host, Reason: reason}
	}
	switch {
	case scheme == "":
		return refuse("a next URL must be absolute")
	case scheme != "http" && scheme != "https":
		return refuse("only http and https are followed")
	case o.scheme == "https" && scheme == "http":
		return refuse("a step down from https to http")
	case !o.trusts(u):
		return refuse(fmt.Sprintf("another origin than %s://%s (add the host to Endpoint.AllowHosts to allow it)",
			o.scheme, net.JoinHostPort(o.host, o.port)))
	}
	return nil
}

// trusts reports whether u, an http(s) URL that is not a downgrade, may be
// sent the caller's headers: it is on the origin (or an upgrade of it to
// https), or on a host the caller allowed.
func (o *origin) trusts(u *url.URL) bool {
	host, port := strings.ToLower(u.Hostname()), portOf(u)
	scheme := strings.ToLower(u.Scheme)
	if host == o.host && port == o.port && (scheme == o.scheme || scheme == "https") {
		return true
	}
	if o.allow[net.JoinHostPort(host, port)] {
		return true
	}
	return port == defaultPort(scheme) && o.allow[net.JoinHostPort(host, "")]
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort(strings.ToLower(u.Scheme))
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// redirectPolicy wraps next, a Client's CheckRedirect (nil: net/http's
// default, at most 10 redirects), so that a redirect that leaves the origin
// carries none of the caller's headers (header, and the headers that carry
// the cursor), nor a Referer naming the caller's URL. net/http only drops
// Authorization and cookies, and only on a change of host: an API key in
// X-Api-Key, or any header sent to another port or down to http, would
// follow the redirect. Once a redirect has left the origin, no later one
// gets the headers back. A redirect that would carry a request body to
// another origin (a 307 or 308 after a POST: the body holds the caller's
// query and cursor) is refused with an *OriginError, as is one from an
// https origin down to http: the page would come in clear.
func (o *origin) redirectPolicy(header []string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if o.scheme == "https" && strings.EqualFold(req.URL.Scheme, "http") {
			// The page would come in clear, open to anyone on the path.
			return &OriginError{Scheme: "http", Host: req.URL.Host, Reason: "a redirect down from https to http"}
		}
		left := o.check(req.URL) != nil
		for _, r := range via[1:] {
			left = left || o.check(r.URL) != nil
		}
		if left {
			if via[0].GetBody != nil && req.Method != http.MethodGet && req.Method != http.MethodHead { // 307, 308: the body goes along
				return &OriginError{Scheme: strings.ToLower(req.URL.Scheme), Host: req.URL.Host,
					Reason: fmt.Sprintf("a redirect of a %s to another origin than %s://%s: its body is not sent there (add the host to Endpoint.AllowHosts to allow it)",
						sanitize(req.Method), o.scheme, net.JoinHostPort(o.host, o.port))}
			}
			for _, k := range header {
				req.Header.Del(k)
			}
			req.Header.Del("Referer")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("pagerhttp: stopped after 10 redirects")
		}
		return nil
	}
}
