package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Hostile servers met during detection: each test is a server that lies,
// loops or leaks, and what pagecat must do about it.

// TestSecretEchoed: a server that echoes the request it refuses, its
// path and query as written or a secret value alone, does not get the
// URL's secrets onto stderr: they are not in an absolute URL, where
// pagecat finds them by their parameter's name.
func TestSecretEchoed(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("bad request %s (token %s)", r.URL.RequestURI(), r.URL.Query().Get("access_token")), http.StatusForbidden)
	})
	for _, args := range [][]string{{}, {"-style", "offset", "-items", "data"}} {
		code, stdout, stderr := pagecat(t, append(args, "-retry=1", s.URL+"/?api_key=hunter2&access_token=s3cr3t%2Ft0ken")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "403 Forbidden: bad request /?") {
			t.Fatalf("%v: got exit %d and %q; stderr:\n%s", args, code, stdout, stderr)
		}
		for _, secret := range []string{"hunter2", "s3cr3t%2Ft0ken", "s3cr3t/t0ken"} {
			if strings.Contains(stderr, secret) {
				t.Errorf("%v: stderr holds %q:\n%s", args, secret, stderr)
			}
		}
	}
}
