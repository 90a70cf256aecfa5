package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// jsonArray returns NDJSON lines as one JSON array, as -slurp writes it.
func jsonArray(lines string) string {
	return "[" + strings.ReplaceAll(strings.TrimSuffix(lines, "\n"), "\n", ",") + "]\n"
}

// TestSlurpResume stops a -slurp -o export with -take, tears the spool's
// last record, and runs the command again without -take: FILE is the
// array of the whole listing, the spool gone; one more run fetches
// nothing.
func TestSlurpResume(t *testing.T) {
	s := sim(t, apisim.Config{N: 250, Seed: 2})
	for _, tt := range []struct{ style, path string }{
		{"offset", apisim.Runs}, {"token", apisim.Objects}, {"keyset", apisim.Stripe},
	} {
		t.Run(tt.style, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.json")
			flags := []string{"-slurp", "-page-size=30", s.URL + tt.path}
			if tt.style == "keyset" {
				flags = append([]string{"-keyset=id", "-token-param=starting_after"}, flags...)
			}
			args := append([]string{"-o", out}, flags...)
			_, all, _ := pagecat(t, flags...) // the listing, to stdout
			_, lines, _ := pagecat(t, append([]string{"-take=45"}, flags...)...)
			if code, _, stderr := pagecat(t, append([]string{"-take=45"}, args...)...); code != 0 || readFile(t, out) != lines {
				t.Fatalf("-take 45: got exit %d; stderr:\n%s\n%s", code, stderr, firstDiff(lines, readFile(t, out)))
			}
			appendFile(t, out+spoolSuffix, `{"id":46,"na`)
			code, stdout, stderr := pagecat(t, args...)
			if code != 0 || stdout != "" || !strings.Contains(stderr, "out.json.pagecat.part holds 45 items; resuming after them") {
				t.Fatalf("resuming: got exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
			}
			if got := readFile(t, out); got != all || !strings.HasPrefix(got, "[") {
				t.Fatalf("FILE is not the listing:\n%s", firstDiff(all, got))
			}
			if _, err := os.Stat(out + spoolSuffix); !os.IsNotExist(err) {
				t.Errorf("the spool is left: %v", err)
			}
			before := s.Stats().Requests
			if code, _, stderr = pagecat(t, args...); code != 0 || !strings.Contains(stderr, "is complete: 250 items; nothing to fetch") {
				t.Errorf("after the end: got exit %d; stderr:\n%s", code, stderr)
			}
			if n := s.Stats().Requests - before; n != 0 {
				t.Errorf("after the end: %d requests, want none", n)
			}
		})
	}
}

// TestSlurpFinish runs -slurp -o again after a run that was killed once
// its walk ended but before it wrote FILE: FILE is written from the
// spool, and nothing is fetched. With -jq, EXPR runs on the array.
func TestSlurpFinish(t *testing.T) {
	s := sim(t, apisim.Config{N: 80, Seed: 2})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	args := []string{"-o", out, "-slurp", "-jq", "map(.id) | add", "-page-size=30", s.URL + apisim.Runs}
	if code, _, stderr := pagecat(t, append([]string{"-take=80"}, args...)...); code != 0 || readFile(t, out) != "3240\n" {
		t.Fatalf("-take 80: got exit %d; stderr:\n%s", code, stderr)
	}
	spool := readFile(t, out+spoolSuffix) // kept: a larger -take may add to it
	if code, _, stderr := pagecat(t, args...); code != 0 || readFile(t, out) != "3240\n" {
		t.Fatalf("to the end: got exit %d; stderr:\n%s", code, stderr)
	}
	// As if killed after the checkpoint said the end, before the rename.
	write(t, out+spoolSuffix, spool)
	write(t, out, "[")
	before := s.Stats().Requests
	code, _, stderr := pagecat(t, args...)
	if code != 0 || readFile(t, out) != "3240\n" || !strings.Contains(stderr, "is complete: 80 items") {
		t.Errorf("got exit %d, FILE %q; stderr:\n%s", code, readFile(t, out), stderr)
	}
	if n := s.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	if _, err := os.Stat(out + spoolSuffix); !os.IsNotExist(err) {
		t.Errorf("the spool is left: %v", err)
	}
	// A spool cut short is refused, not taken for the listing.
	write(t, out+spoolSuffix, spool[:len(spool)/2])
	if code, _, stderr := pagecat(t, args...); code != 1 || !strings.Contains(stderr, "add -restart") {
		t.Errorf("a spool cut short: got exit %d; stderr:\n%s", code, stderr)
	}
}
