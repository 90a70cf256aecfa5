package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerseq/pager/internal/apisim"
)

// TestQuotaPaced exports from a server whose quota is one request a
// second: every answer says that it is spent, until a reset a second or
// two away. Detection's second request waits for the reset the first
// answer reported, and the walk's first real request for the one the
// second reported (the walk gets detection's pages from memory, their
// quota headers counted once): no request is sent over the quota, none
// waits for nothing, and -progress says each wait.
func TestQuotaPaced(t *testing.T) {
	tests := []struct {
		label   string
		headers string // apisim.Faults.QuotaHeaders
		args    []string
		waits   int
		reason  string
	}{
		{"detected, RateLimit", "RateLimit", nil, 2,
			"detection's two requests, then the walk's third; a reset in seconds from now"},
		{"detected, X-RateLimit", "X-RateLimit", nil, 2,
			"as above, GitHub's headers: a reset in seconds since 1970"},
		{"style given", "RateLimit", []string{"-style=offset"}, 3,
			"detection asks for the first page only, for its items field; the walk asks for it again"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			s := sim(t, apisim.Config{N: 3, Faults: apisim.Faults{Quota: 1, QuotaWindow: time.Second, QuotaHeaders: tt.headers}})
			args := append([]string{"-progress=always", "-limit-param=limit", "-page-size=1"}, tt.args...)
			code, stdout, stderr := pagecat(t, append(args, s.URL+apisim.Runs)...)
			if code != 0 || stdout != ndjson(s, 1, 3) {
				t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
			}
			if st := s.Stats(); st.OverQuota != 0 {
				t.Errorf("%d of %d requests over the quota, want none (%s); stderr:\n%s", st.OverQuota, st.Requests, tt.reason, stderr)
			}
			const note = "pagecat: the server's rate-limit quota is spent until "
			if n := strings.Count(stderr, note); n != tt.waits {
				t.Errorf("got %d notes %q, want %d (%s); stderr:\n%s", n, note, tt.waits, tt.reason, stderr)
			}
			if want := fmt.Sprintf(", %d quota waits (", tt.waits); !strings.Contains(stderr, want) {
				t.Errorf("progress lacks %q:\n%s", want, stderr)
			}
		})
	}
}

// TestQuotaTooFar: the first answer says that the quota is spent for two
// minutes, more than pagecat waits. Detection fails at once, without a
// second request, and says until when and what to do.
func TestQuotaTooFar(t *testing.T) {
	s := sim(t, apisim.Config{N: 3, Faults: apisim.Faults{Quota: 1, QuotaWindow: 2 * time.Minute}})
	code, stdout, stderr := pagecat(t, "-limit-param=limit", "-page-size=1", s.URL+apisim.Runs)
	if code != 1 || stdout != "" {
		t.Errorf("got exit %d and %q, want 1 and nothing", code, stdout)
	}
	if st := s.Stats(); st.Requests != 1 {
		t.Errorf("got %d requests, want 1: the second is not sent", st.Requests)
	}
	for _, want := range []string{
		"pagecat: pagerhttp: rate-limit quota spent until ",
		" (in 2m0s; pagecat waits at most 1m0s): GET " + s.URL + apisim.Runs + "?limit=1&offset=1\n",
		"pagecat: nothing written; run the same command after the quota's reset\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestQuotaTooFarInWalk: detection's second answer says that the quota is
// spent for two minutes. The walk fails before its first request, sends
// none, and says to run the command again after the reset.
func TestQuotaTooFarInWalk(t *testing.T) {
	s := sim(t, apisim.Config{N: 9, Faults: apisim.Faults{Quota: 2, QuotaWindow: 2 * time.Minute}})
	out := filepath.Join(t.TempDir(), "runs.ndjson")
	code, _, stderr := pagecat(t, "-limit-param=limit", "-page-size=3", "-o", out, s.URL+apisim.Runs)
	if code != 1 {
		t.Errorf("got exit %d, want 1", code)
	}
	if st := s.Stats(); st.Requests != 2 {
		t.Errorf("got %d requests, want detection's 2", st.Requests)
	}
	for _, want := range []string{
		" (in 2m0s; pagecat waits at most 1m0s): GET " + s.URL + apisim.Runs + "?limit=3&offset=0\n",
		"pagecat: " + out + " holds no items; run the same command after the quota's reset to try again\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestQuotaPrefetch walks with 4 fetches at once through a quota of one
// request a second. The first 4 requests go before any answer says a
// word of the quota; after that, each reset lets one request go, and the
// others wait for its answer: the walk ends with every record, not with
// the retries spent on 429s.
func TestQuotaPrefetch(t *testing.T) {
	t.Parallel()
	s := sim(t, apisim.Config{N: 8, Faults: apisim.Faults{Quota: 1, QuotaWindow: time.Second}})
	code, stdout, stderr := pagecat(t, "-style=offset", "-items=runs", "-page-size=2", "-prefetch=4", s.URL+apisim.Runs)
	if code != 0 || stdout != ndjson(s, 1, 8) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	if st := s.Stats(); st.OverQuota > 3 {
		t.Errorf("%d of %d requests over the quota, want at most the first 3 (stderr:\n%s)", st.OverQuota, st.Requests, stderr)
	}
}

// TestQuotaPrefetchAfterDetection walks with 8 fetches at once through a
// quota of two requests a second, after detection: its answers said how
// much of the quota is left before the walk sends a request, so none of
// the walk's goes over it, the first burst included (the walk's first
// page, replayed from detection's answer without its quota headers, says
// nothing of the quota, and lets nothing go).
func TestQuotaPrefetchAfterDetection(t *testing.T) {
	t.Parallel()
	s := sim(t, apisim.Config{N: 12, Faults: apisim.Faults{Quota: 2, QuotaWindow: time.Second}})
	code, stdout, stderr := pagecat(t, "-limit-param=limit", "-page-size=2", "-prefetch=8", s.URL+apisim.Runs)
	if code != 0 || stdout != ndjson(s, 1, 12) {
		t.Errorf("got exit %d and %q; stderr:\n%s", code, stdout, stderr)
	}
	if st := s.Stats(); st.OverQuota != 0 {
		t.Errorf("%d of %d requests over the quota, want none (stderr:\n%s)", st.OverQuota, st.Requests, stderr)
	}
}

// TestQuotaAnswered: detection's only answer says that the quota is spent
// for two minutes (GitHub's last request of the hour), and it holds the
// whole listing: one page that is the last, or a stream. The walk, whose
// one request is answered from detection's memory, writes it all without
// waiting, and no second request is sent. It used to wait for the reset
// before asking for what it had, and fail with nothing written.
func TestQuotaAnswered(t *testing.T) {
	for _, tt := range []struct {
		label, path string
		args        []string
	}{
		{"one page", apisim.Runs, []string{"-limit-param=limit", "-page-size=2"}},
		{"stream", apisim.Stream, nil},
	} {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			s := sim(t, apisim.Config{N: 2, Faults: apisim.Faults{Quota: 1, QuotaWindow: 2 * time.Minute}})
			code, stdout, stderr := pagecat(t, append(tt.args, s.URL+tt.path)...)
			if code != 0 || strings.Count(stdout, "\n") != 2 {
				t.Errorf("got exit %d and %q, want 0 and 2 records; stderr:\n%s", code, stdout, stderr)
			}
			if st := s.Stats(); st.Requests != 1 || st.OverQuota != 0 {
				t.Errorf("got %d requests (%d over the quota), want detection's 1", st.Requests, st.OverQuota)
			}
		})
	}
}
