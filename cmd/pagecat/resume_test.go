package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// TestResumeTornTail stops an export with -take, leaves half a record at
// the end of FILE, as a kill in the middle of a write would, and runs the
// command again without -take: FILE is cut back and completed, each
// record once; one more run says FILE is complete and fetches nothing.
func TestResumeTornTail(t *testing.T) {
	s := sim(t, apisim.Config{N: 250, Seed: 2})
	for _, tt := range []struct{ style, path string }{
		{"offset", apisim.Runs}, {"token", apisim.Objects}, {"page", apisim.Events}, {"link", apisim.Repos},
	} {
		t.Run(tt.style, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ndjson")
			args := []string{"-o", out, "-page-size=30", s.URL + tt.path}
			if code, _, stderr := pagecat(t, append([]string{"-take=45"}, args...)...); code != 0 {
				t.Fatalf("-take 45: got exit %d; stderr:\n%s", code, stderr)
			}
			appendFile(t, out, `{"id":46,"na`)
			code, stdout, stderr := pagecat(t, args...)
			if code != 0 || stdout != "" || !strings.Contains(stderr, "holds 45 items; resuming after them") {
				t.Fatalf("resuming: got exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
			}
			if got := readFile(t, out); got != ndjson(s, 1, 250) {
				t.Fatalf("FILE is not the listing:\n%s", firstDiff(ndjson(s, 1, 250), got))
			}
			before := s.Stats().Requests
			code, _, stderr = pagecat(t, args...)
			if code != 0 || !strings.Contains(stderr, "is complete: 250 items; nothing to fetch") {
				t.Errorf("after the end: got exit %d; stderr:\n%s", code, stderr)
			}
			if n := s.Stats().Requests - before; n != 0 {
				t.Errorf("after the end: %d requests, want none", n)
			}
			if code, _, stderr = pagecat(t, append([]string{"-restart"}, args...)...); code != 0 || readFile(t, out) != ndjson(s, 1, 250) {
				t.Errorf("-restart: got exit %d; stderr:\n%s", code, stderr)
			}
		})
	}
}

// TestResumeRefused runs a command on the FILE of another export: it is
// refused with the difference named, FILE left as it was.
func TestResumeRefused(t *testing.T) {
	s := sim(t, apisim.Config{N: 100, Seed: 2})
	out := filepath.Join(t.TempDir(), "out.ndjson")
	t.Setenv("PAGECAT_TEST_SECRET", "hunter2-hunter2")
	first := []string{"-o", out, "-take=10", "-H", "Authorization: Bearer $PAGECAT_TEST_SECRET", "-H", "X-Literal: literal-secret-value", s.URL + apisim.Runs + "?api_key=s3cr3t-key&status=failed"}
	if code, _, stderr := pagecat(t, first...); code != 0 {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	saved := readFile(t, out)
	cp := readFile(t, out+stateSuffix)
	for _, secret := range []string{"hunter2", "literal-secret", "s3cr3t", "PAGECAT_TEST_SECRET"} {
		if strings.Contains(cp, secret) {
			t.Errorf("the checkpoint holds %q:\n%s", secret, cp)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", out, s.URL + apisim.Runs + "?api_key=other-key&status=failed"}, "its URL differs from this one in a secret query value"},
		{[]string{"-o", out, s.URL + apisim.Runs + "?api_key=s3cr3t-key&status=ok"}, "its URL is " + s.URL + apisim.Runs + "?api_key=REDACTED&status=failed, not"},
		{[]string{"-o", out, "-page-size=50", s.URL + apisim.Runs + "?api_key=s3cr3t-key&status=failed"}, "its -page-size is 100, not 50"},
		{[]string{"-o", out, "-style=token", s.URL + apisim.Runs + "?api_key=s3cr3t-key&status=failed"}, "its -style is offset, not token"},
		{[]string{"-o", out, "-jq=.id", s.URL + apisim.Runs + "?api_key=s3cr3t-key&status=failed"}, "its -jq is unset, not .id"},
	} {
		code, _, stderr := pagecat(t, tt.args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "-restart") {
			t.Errorf("pagecat %q: got exit %d; stderr:\n%s\nwant exit 2 and one line with %q", tt.args, code, stderr, tt.want)
		}
		if strings.Contains(stderr, "s3cr3t") {
			t.Errorf("the message shows the secret: %s", stderr)
		}
	}
	if readFile(t, out) != saved {
		t.Error("a refused command changed FILE")
	}
	// The same command, with a header given otherwise, goes on.
	same := slices.Clone(first)
	same[2], same[6] = "-take=20", "X-Literal: other"
	code, _, stderr := pagecat(t, same...)
	_, listing, _ := pagecat(t, first[len(first)-1])
	if want := strings.Join(strings.SplitAfter(listing, "\n")[:20], ""); code != 0 || readFile(t, out) != want {
		t.Errorf("the same command: got exit %d; stderr:\n%s\n%s", code, stderr, firstDiff(want, readFile(t, out)))
	}
}

// TestResumeLinkSecret resumes a link walk, and a next-style one, whose
// URL carries a secret that their next URLs repeat: the checkpoint keeps
// them with the secret REDACTED, and the resumed walk puts it back from
// the command's URL.
func TestResumeLinkSecret(t *testing.T) {
	s := sim(t, apisim.Config{N: 100, Seed: 2})
	for _, args := range [][]string{
		{"-page-size=30", s.URL + apisim.Repos + "?access_token=s3cr3t-token"},
		{"-style=next", "-limit-param=page_size", "-page-size=30", s.URL + apisim.DRF + "?access_token=s3cr3t-token"},
	} {
		out := filepath.Join(t.TempDir(), "out.ndjson")
		args = append([]string{"-o", out}, args...)
		if code, _, stderr := pagecat(t, append([]string{"-take=30"}, args...)...); code != 0 {
			t.Fatalf("%v: got exit %d; stderr:\n%s", args, code, stderr)
		}
		if cp := readFile(t, out+stateSuffix); strings.Contains(cp, "s3cr3t") || !strings.Contains(cp, "access_token=REDACTED") {
			t.Fatalf("%v: checkpoint:\n%s", args, cp)
		}
		if code, _, stderr := pagecat(t, args...); code != 0 || readFile(t, out) != ndjson(s, 1, 100) {
			t.Errorf("%v: resumed: got exit %d; stderr:\n%s\n%s", args, code, stderr, firstDiff(ndjson(s, 1, 100), readFile(t, out)))
		}
	}
}

// TestResumeChangedFile refuses to resume into a FILE shorter than its
// checkpoint says, or changed at its end.
func TestResumeChangedFile(t *testing.T) {
	s := sim(t, apisim.Config{N: 100, Seed: 2})
	out := filepath.Join(t.TempDir(), "out.ndjson")
	args := []string{"-o", out, s.URL + apisim.Runs}
	if code, _, stderr := pagecat(t, append([]string{"-take=10"}, args...)...); code != 0 {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	data := readFile(t, out)
	if err := os.WriteFile(out, []byte(data[:len(data)-5]), 0o666); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := pagecat(t, args...)
	if code != 1 || !strings.Contains(stderr, "fewer than the") || !strings.Contains(stderr, "-restart") {
		t.Errorf("got exit %d; stderr:\n%s", code, stderr)
	}
}

func TestJQ(t *testing.T) {
	s := sim(t, apisim.Config{N: 120, Seed: 2, Faults: apisim.Faults{Short: 0.2}})
	ids := func(from, to int) string {
		var b strings.Builder
		for id := from; id <= to; id++ {
			b.WriteString(strconv.Itoa(id) + "\n")
		}
		return b.String()
	}
	tests := []struct {
		label      string
		args       []string
		wantCode   int
		want       string
		wantErrHas string
	}{
		{"ids", []string{"-jq", ".id", s.URL + apisim.Runs}, 0, ids(1, 120), ""},
		{"two results per item", []string{"-take=2", "-jq", ".id, .id", s.URL + apisim.Runs}, 0, "1\n1\n2\n2\n", ""},
		{"none", []string{"-jq", "select(.id == 7) | {id}", s.URL + apisim.Objects}, 0, `{"id":7}` + "\n", ""},
		{"slurp", []string{"-take=3", "-slurp", s.URL + apisim.Runs}, 0, "[" + strings.ReplaceAll(strings.TrimSpace(ndjson(s, 1, 3)), "\n", ",") + "]\n", ""},
		{"slurp, count", []string{"-slurp", "-jq", "length", s.URL + apisim.Events}, 0, "120\n", ""},
		{"error names the item", []string{"-jq", "if .id == 42 then error(\"no 42\") else .id end", s.URL + apisim.Runs}, 1, ids(1, 41), "item at offset 41: jq: error: no 42"},
		{"bad expression", []string{"-jq", ".[", s.URL + apisim.Runs}, 2, "", "-jq: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			code, stdout, stderr := pagecat(t, tt.args...)
			if code != tt.wantCode || stdout != tt.want || !strings.Contains(stderr, tt.wantErrHas) {
				t.Errorf("got exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s", code, stdout, stderr, tt.wantCode, tt.want)
			}
		})
	}
}

// TestJQResume resumes a -jq export after a jq error: the item that
// failed is not counted as written.
func TestJQResume(t *testing.T) {
	s := sim(t, apisim.Config{N: 60, Seed: 2})
	out := filepath.Join(t.TempDir(), "out.ndjson")
	t.Setenv("PAGECAT_TEST_FAIL", "yes")
	args := []string{"-o", out, "-page-size=10", "-jq", `if .id == 25 and $ENV.PAGECAT_TEST_FAIL == "yes" then error("not now") else .id end`, s.URL + apisim.Objects}
	code, _, stderr := pagecat(t, args...)
	if code != 1 || !strings.Contains(stderr, "item at offset 24") || !strings.Contains(stderr, "holds 24 items; run the same command to try the item again, or mend -jq and add -restart") {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	t.Setenv("PAGECAT_TEST_FAIL", "no")
	if code, _, stderr := pagecat(t, args...); code != 0 {
		t.Fatalf("resumed: got exit %d; stderr:\n%s", code, stderr)
	}
	var want strings.Builder
	for id := 1; id <= 60; id++ {
		want.WriteString(strconv.Itoa(id) + "\n")
	}
	if got := readFile(t, out); got != want.String() {
		t.Errorf("FILE:\n%s", firstDiff(want.String(), got))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestResumeStream resumes an NDJSON stream with -offset-param, and
// refuses to without: the stream would start again from its first record.
func TestResumeStream(t *testing.T) {
	s := sim(t, apisim.Config{N: 100, Seed: 2})
	dir := t.TempDir()
	for _, tt := range []struct {
		label   string
		args    []string
		want    int
		wantErr string
	}{
		{"with -offset-param", []string{"-offset-param=offset"}, 0, "holds 10 items; resuming after them"},
		{"without", nil, 1, "cannot resume after them without -offset-param; add -restart"},
	} {
		out := filepath.Join(dir, tt.label+".ndjson")
		args := append([]string{"-style=ndjson", "-o", out}, append(tt.args, s.URL+apisim.Stream)...)
		if code, _, stderr := pagecat(t, append([]string{"-take=10"}, args...)...); code != 0 {
			t.Fatalf("%s: -take 10: got exit %d; stderr:\n%s", tt.label, code, stderr)
		}
		code, _, stderr := pagecat(t, args...)
		if code != tt.want || !strings.Contains(stderr, tt.wantErr) {
			t.Errorf("%s: got exit %d; stderr:\n%s", tt.label, code, stderr)
		}
		if want := ndjson(s, 1, 100); tt.want == 0 && readFile(t, out) != want {
			t.Errorf("%s: FILE:\n%s", tt.label, firstDiff(want, readFile(t, out)))
		}
	}
}
