//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// TestOutputLocked runs pagecat on a FILE that another run still writes:
// it is refused, and FILE is left alone.
func TestOutputLocked(t *testing.T) {
	s := sim(t, apisim.Config{N: 10})
	out := filepath.Join(t.TempDir(), "out.ndjson")
	if err := os.WriteFile(out, []byte("{\"id\":0}\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lock(f); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := pagecat(t, "-o", out, s.URL+apisim.Runs)
	if code != 1 || !strings.Contains(stderr, "is being written by another pagecat") {
		t.Errorf("got exit %d; stderr:\n%s", code, stderr)
	}
	if got := readFile(t, out); got != "{\"id\":0}\n" {
		t.Errorf("FILE changed: %q", got)
	}
}
