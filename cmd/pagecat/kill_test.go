package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pagerseq/pager/internal/apisim"
)

var killRounds = flag.Int("kill.rounds", 1, "rounds per style of TestKilledAndResumed: exports killed (SIGKILL, SIGINT) at random moments and run again until done")

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// pagecatBinary builds pagecat once, into a directory removed at the end
// of the test binary's run (see TestMain).
func pagecatBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pagecat-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		binary = filepath.Join(dir, "pagecat")
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command(gobin, "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

var binDir string // removed by TestMain

// TestKilledAndResumed runs the real pagecat -o FILE against a simulator
// with faults, kills it with SIGKILL or SIGINT at a random moment, and runs
// the very same command again, until one run finishes: FILE must then hold
// the listing, every record once, in order. A run that gives up on a
// failed request (-retry=1) is run again too. A last run must say that
// FILE is complete and fetch nothing.
func TestKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pagecat binary")
	}
	bin := pagecatBinary(t)
	const n = 1500
	s := sim(t, apisim.Config{N: n, Seed: 14, Faults: apisim.Faults{
		Latency: 300 * time.Microsecond, Jitter: 700 * time.Microsecond,
		ServerError: 0.03, Reset: 0.02, Short: 0.1,
	}})
	want := ndjson(s, 1, n)
	clean := sim(t, apisim.Config{N: n, Seed: 14}) // the same records, with no faults
	var names strings.Builder
	for id := 1; id <= n; id++ {
		fmt.Fprintf(&names, "%q\n", s.Record(id).Name)
	}
	styles := []struct {
		style string
		args  []string
		want  string // "": the listing
		dress bool   // the listing is the endpoint's own dress of the records: see reference
	}{
		{"offset", []string{"-page-size=25", "-retry=20", s.URL + apisim.Runs}, "", false},
		{"offset-prefetch", []string{"-page-size=25", "-retry=20", "-prefetch=3", s.URL + apisim.Logs}, "", false},
		{"page", []string{"-page-size=20", "-retry=20", s.URL + apisim.Events}, "", false},
		{"token", []string{"-page-size=25", "-retry=20", s.URL + apisim.Objects}, "", false},
		{"link", []string{"-page-size=25", "-retry=20", s.URL + apisim.Repos}, "", false},
		{"ndjson", []string{"-style=ndjson", "-offset-param=offset", "-retry=20", s.URL + apisim.Stream}, "", false},
		{"offset-no-retry", []string{"-style=offset", "-items=.", "-page-size=25", "-retry=1", s.URL + apisim.Issues}, "", false}, // fails on its own too
		{"token-jq-prefetch", []string{"-page-size=25", "-retry=20", "-prefetch=2", "-jq=.name", s.URL + apisim.Objects}, names.String(), false},
		{"next", []string{"-style=next", "-limit-param=page_size", "-page-size=25", "-retry=20", s.URL + apisim.DRF}, "", false},
		{"next-relative", []string{"-style=next", "-next-field=links.next", "-items=data", "-limit-param=page[size]", "-page-size=25", "-retry=20", s.URL + apisim.JSONAPI}, "", true},
		{"keyset", []string{"-keyset=id", "-token-param=starting_after", "-page-size=25", "-retry=20", s.URL + apisim.Stripe}, "", true},
		{"keyset-prefetch", []string{"-keyset=id", "-token-param=since", "-limit-param=per_page", "-page-size=25", "-retry=20", "-prefetch=2", s.URL + apisim.Since}, "", false},
		{"header", []string{"-cursor-header=X-Next-Cursor", "-token-header=X-Cursor", "-page-size=25", "-retry=20", s.URL + apisim.Cursors}, "", false},
		{"headers", []string{"-cursor-header=x-ms-continuation-NextPartitionKey,x-ms-continuation-NextRowKey", "-token-param=NextPartitionKey,NextRowKey", "-limit-param=$top", "-page-size=30", "-retry=20", s.URL + apisim.Azure}, "", true},
		{"graphql", []string{"-graphql", graphQLQuery, "-connection=data.repository.issues", `-variables={"owner": "pagerseq"}`, "-page-size=25", "-retry=20", s.URL + apisim.GraphQL}, "", true},
		{"body", []string{`-body={"sorts": []}`, "-limit-field=page_size", "-token-field=start_cursor", "-next-field=next_cursor", "-items=results", "-page-size=25", "-retry=20", s.URL + apisim.Notion + "d9824bdc/query"}, "", false},
		{"body-keyset", []string{`-body={"sort": [{"created_at": "asc"}, {"id": "asc"}]}`, "-limit-field=size", "-keyset=sort", "-token-field=search_after", "-items=hits.hits", "-page-size=25", "-retry=20", s.URL + apisim.Search}, "", true},
		{"changes", []string{"-style=changes", "-page-size=25", "-retry=20", s.URL + apisim.Changes}, "", true},
		{"slurp", []string{"-slurp", "-page-size=25", "-retry=20", s.URL + apisim.Runs}, jsonArray(want), false},
		{"slurp-keyset", []string{"-slurp", "-keyset=id", "-token-param=since", "-limit-param=per_page", "-page-size=25", "-retry=20", s.URL + apisim.Since}, jsonArray(want), false},
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	kills, ints, fails := 0, 0, 0
	var figures []string
	for _, st := range styles {
		want := want
		switch {
		case st.want != "":
			want = st.want
		case st.dress:
			want = reference(t, st.args, s.URL, clean.URL, n)
		}
		t.Run(st.style, func(t *testing.T) {
			lost, dups, rounds := 0, 0, 0
			defer func() {
				figures = append(figures, fmt.Sprintf("%-18s %3d rounds, %d records lost, %d duplicated", st.style, rounds, lost, dups))
			}()
			for round := range *killRounds {
				out := filepath.Join(t.TempDir(), "out.ndjson")
				every := fmt.Sprintf("-checkpoint-every=%dms", rng.IntN(30))
				args := append([]string{"-o", out, every}, st.args...)
				var log []string
				finished := false
				for run := 0; run < 500 && !finished; run++ {
					cmd := exec.Command(bin, args...)
					var stderr strings.Builder
					cmd.Stderr = &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					sig := syscall.SIGKILL
					if rng.IntN(2) == 0 {
						sig = syscall.SIGINT
					}
					// Later and later, so that a round ends: a run killed
					// before its first checkpoint starts over.
					wait := time.Duration(rng.Int64N(int64(60*time.Millisecond) + int64(run)*int64(20*time.Millisecond)))
					timer := time.AfterFunc(wait, func() { _ = cmd.Process.Signal(sig) })
					err := cmd.Wait()
					stopped := !timer.Stop()
					if got, rerr := os.ReadFile(out); rerr == nil && slices.Contains(args, "-slurp") && string(got) != want {
						t.Fatalf("round %d, run %d: -slurp left FILE neither absent nor whole:\n%s", round, run, firstDiff(want, string(got)))
					}
					log = append(log, fmt.Sprintf("run %d: %v after %v: %v: %s", run, sig, wait, err, strings.TrimSpace(stderr.String())))
					switch {
					case err == nil:
						finished = true
					case !stopped && strings.Contains(stderr.String(), "run the same command to "):
						fails++ // a network failure: the walk gave up
					case !stopped:
						t.Fatalf("round %d: pagecat failed on its own:\n%s", round, strings.Join(log, "\n"))
					case sig == syscall.SIGKILL:
						kills++
					default:
						ints++
					}
				}
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				rounds++
				l, d := lostAndDuplicated(want, string(got))
				lost, dups = lost+l, dups+d
				if !finished || string(got) != want {
					t.Fatalf("round %d: finished %v; FILE is not the listing once (%d lost, %d duplicated):\n%s\n%s", round, finished, l, d, firstDiff(want, string(got)), strings.Join(log, "\n"))
				}
				cmd := exec.Command(bin, args...)
				msg, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(msg), "is complete: 1500 items") {
					t.Fatalf("round %d: a run after the end: %v: %s", round, err, msg)
				}
			}
		})
	}
	t.Logf("%d rounds per style; %d runs killed, %d interrupted, %d failed on their own\n%s", *killRounds, kills, ints, fails, strings.Join(figures, "\n"))
}

// reference returns the listing of a walk whose items are an endpoint's
// own dress of the records: what pagecat args writes with the simulator
// at url replaced by one at clean with no faults. It must hold n records,
// each once.
func reference(t *testing.T, args []string, url, clean string, n int) string {
	t.Helper()
	args = slices.Clone(args)
	last := len(args) - 1
	args[last] = clean + strings.TrimPrefix(args[last], url)
	code, stdout, stderr := pagecat(t, args...)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != 0 || len(lines) != n || len(slices.Compact(slices.Sorted(slices.Values(lines)))) != n {
		t.Fatalf("the reference listing of %q: exit %d, %d lines; stderr:\n%s", args, code, len(lines), stderr)
	}
	return stdout
}

// lostAndDuplicated counts the records of want missing from got, and the
// records of got beyond their count in want: lines, or the elements of
// JSON arrays (-slurp).
func lostAndDuplicated(want, got string) (lost, dups int) {
	if strings.HasPrefix(want, "[") {
		want, got = arrayLines(want), arrayLines(got)
	}
	count := map[string]int{}
	for _, line := range strings.SplitAfter(want, "\n") {
		count[line]++
	}
	for _, line := range strings.SplitAfter(got, "\n") {
		count[line]--
	}
	for _, c := range count {
		if c > 0 {
			lost += c
		} else {
			dups -= c
		}
	}
	return lost, dups
}

// arrayLines returns the elements of a JSON array as lines; a torn array
// holds none.
func arrayLines(array string) string {
	var items []json.RawMessage
	if json.Unmarshal([]byte(array), &items) != nil {
		return ""
	}
	var b strings.Builder
	for _, item := range items {
		b.Write(item)
		b.WriteByte('\n')
	}
	return b.String()
}
