package pager_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pagerseq/pager"
)

// An export of the runs split into offset ranges of 3, killed after 4
// items and started again from its saved progress. Each range's walk asks
// for no item past its end; the second process walks what is left.
func ExampleOffsetPartitions() {
	ctx := context.Background()
	// export walks the partitions left, one after the other here (a
	// worker each, in real use), and is killed before its item number
	// killAt, if killAt >= 0.
	export := func(progress *pager.Progress, killAt int) {
		for _, p := range progress.Remaining() {
			cp, _ := progress.At(p)
			src := pager.Offset(fetchRuns, append(p.Options(), pager.PageSize(2))...)
			for run, err := range pager.AllFrom(ctx, src, &cp) {
				if err != nil {
					fmt.Println(err)
					return
				}
				if killAt == 0 {
					return
				}
				killAt--
				fmt.Println(p, run.ID) // processed, and saved with it:
				progress.Save(p, cp)
			}
			progress.Finish(p)
		}
	}
	progress := pager.NewProgress(pager.OffsetPartitions(len(runs), 3))
	export(progress, 4)
	saved, _ := json.Marshal(progress) // in a file or a database row, in real use
	fmt.Printf("killed; saved %s\n", saved)

	var again pager.Progress // in a new process
	if err := json.Unmarshal(saved, &again); err != nil {
		fmt.Println(err)
		return
	}
	export(&again, -1)
	fmt.Println("done:", again.Done())
	// Output:
	// GET /runs?limit=2&offset=0
	// offsets 0-3 r1
	// offsets 0-3 r2
	// GET /runs?limit=1&offset=2
	// offsets 0-3 r3
	// GET /runs?limit=2&offset=3
	// offsets 3-6 r4
	// killed; saved {"partitions":[{"partition":{"start":0,"end":3},"checkpoint":{"offset":3},"done":true},{"partition":{"start":3,"end":6},"checkpoint":{"offset":4}},{"partition":{"start":6,"end":7},"checkpoint":{"offset":0}}]}
	// GET /runs?limit=2&offset=4
	// offsets 3-6 r5
	// offsets 3-6 r6
	// GET /runs?limit=1&offset=6
	// offsets 6-7 r7
	// done: true
}

// Issue is an item of the incremental example.
type Issue struct {
	ID        string
	UpdatedAt string // RFC 3339 in UTC: in order as strings
}

// fetchIssues returns a fetch for GET /issues?updated_since=…, which
// answers the issues updated at or after since (an inclusive filter),
// oldest first, with their total.
func fetchIssues(issues []Issue, since string) pager.FetchFunc[Issue] {
	return func(ctx context.Context, req pager.Request) (pager.Page[Issue], error) {
		fmt.Printf("GET /issues?updated_since=%s&limit=%d&offset=%d\n", since, req.Limit, req.Offset)
		var match []Issue
		for _, is := range issues {
			if is.UpdatedAt >= since {
				match = append(match, is)
			}
		}
		slices.SortFunc(match, func(a, b Issue) int {
			return cmp.Or(cmp.Compare(a.UpdatedAt, b.UpdatedAt), cmp.Compare(a.ID, b.ID))
		})
		end := min(req.Offset+req.Limit, len(match))
		return pager.Page[Issue]{Items: match[min(req.Offset, end):end], Total: len(match)}, nil
	}
}

// An incremental export run twice. Between the runs an issue comes in at
// the same second as the watermark, and one is updated: the second run
// delivers those two, and not the two it shares the watermark's second
// with, which the first run delivered.
func ExampleSince() {
	ctx := context.Background()
	issues := []Issue{
		{"i1", "2026-01-01T10:00:00Z"},
		{"i2", "2026-01-01T11:00:00Z"},
		{"i3", "2026-01-01T11:00:00Z"},
	}
	var mark pager.Watermark[string] // saved between runs; none at first
	run := func() {
		next := mark
		src := pager.Offset(fetchIssues(issues, mark.Value), pager.PageSize(50))
		updatedAt := func(is Issue) string { return is.UpdatedAt }
		id := func(is Issue) string { return is.ID }
		for is, err := range pager.Since(pager.All(ctx, src), mark, updatedAt, id, &next) {
			if err != nil {
				fmt.Println(err) // the watermark stays where it was
				return
			}
			fmt.Println(is.ID, is.UpdatedAt)
		}
		mark = next // committed once the whole run has finished
		saved, _ := json.Marshal(mark)
		fmt.Printf("watermark %s\n", saved)
	}
	run()
	issues = append(issues, Issue{"i4", "2026-01-01T11:00:00Z"})
	issues[0].UpdatedAt = "2026-01-01T12:00:00Z"
	run()
	// Output:
	// GET /issues?updated_since=&limit=50&offset=0
	// i1 2026-01-01T10:00:00Z
	// i2 2026-01-01T11:00:00Z
	// i3 2026-01-01T11:00:00Z
	// watermark {"value":"2026-01-01T11:00:00Z","keys":["i2","i3"]}
	// GET /issues?updated_since=2026-01-01T11:00:00Z&limit=50&offset=0
	// i4 2026-01-01T11:00:00Z
	// i1 2026-01-01T12:00:00Z
	// watermark {"value":"2026-01-01T12:00:00Z","keys":["i1"]}
}

// An incremental export walked by keyset: ?updated_since=mark.Value (an
// inclusive filter) &updated_before=<the run's start>, sorted by
// (updated_at, id), each page from after the last item's pair. During the
// first run, after its first page, i1 is updated: the cursor does not
// move, so i3 still comes (an offset walk would skip it), and i1's new
// version, written after the run started, comes in the next run, whose
// first page is i2 and i3 again, at the watermark's value: Since drops
// them by their keys.
func ExampleSince_keyset() {
	ctx := context.Background()
	issues := map[string]string{ // id → updated_at
		"i1": "2026-01-01T10:00:00Z",
		"i2": "2026-01-01T11:00:00Z",
		"i3": "2026-01-01T11:00:00Z",
	}
	var mark pager.Watermark[string]
	run := func(start string, during func()) {
		before := start // less a margin for the clocks, in real use
		next := mark
		src := pager.Token(func(ctx context.Context, req pager.Request) (pager.Page[Issue], error) {
			if req.Token != "" {
				during()
			}
			fmt.Printf("GET /issues?updated_since=%s&updated_before=%s&after=%s\n", mark.Value, before, req.Token)
			at, after, _ := strings.Cut(req.Token, " ")
			var match []Issue
			for id, u := range issues {
				if u >= mark.Value && u < before && (req.Token == "" || u > at || u == at && id > after) {
					match = append(match, Issue{id, u})
				}
			}
			slices.SortFunc(match, func(a, b Issue) int {
				return cmp.Or(cmp.Compare(a.UpdatedAt, b.UpdatedAt), cmp.Compare(a.ID, b.ID))
			})
			p := pager.Page[Issue]{Items: match[:min(req.Limit, len(match))]}
			if n := len(p.Items); n > 0 {
				p.Next = p.Items[n-1].UpdatedAt + " " + p.Items[n-1].ID
			}
			return p, nil
		}, pager.PageSize(2))
		updatedAt := func(is Issue) string { return is.UpdatedAt }
		id := func(is Issue) string { return is.ID }
		for is, err := range pager.Since(pager.All(ctx, src), mark, updatedAt, id, &next) {
			if err != nil {
				fmt.Println(err) // the watermark stays where it was
				return
			}
			fmt.Println(is.ID, is.UpdatedAt)
		}
		mark = next // committed once the whole run has finished
		saved, _ := json.Marshal(mark)
		fmt.Printf("watermark %s\n", saved)
	}
	run("2026-01-01T12:00:00Z", func() { issues["i1"] = "2026-01-01T12:00:05Z" })
	run("2026-01-01T13:00:00Z", func() {})
	// Output:
	// GET /issues?updated_since=&updated_before=2026-01-01T12:00:00Z&after=
	// i1 2026-01-01T10:00:00Z
	// i2 2026-01-01T11:00:00Z
	// GET /issues?updated_since=&updated_before=2026-01-01T12:00:00Z&after=2026-01-01T11:00:00Z i2
	// i3 2026-01-01T11:00:00Z
	// GET /issues?updated_since=&updated_before=2026-01-01T12:00:00Z&after=2026-01-01T11:00:00Z i3
	// watermark {"value":"2026-01-01T11:00:00Z","keys":["i2","i3"]}
	// GET /issues?updated_since=2026-01-01T11:00:00Z&updated_before=2026-01-01T13:00:00Z&after=
	// GET /issues?updated_since=2026-01-01T11:00:00Z&updated_before=2026-01-01T13:00:00Z&after=2026-01-01T11:00:00Z i3
	// i1 2026-01-01T12:00:05Z
	// GET /issues?updated_since=2026-01-01T11:00:00Z&updated_before=2026-01-01T13:00:00Z&after=2026-01-01T12:00:05Z i1
	// watermark {"value":"2026-01-01T12:00:05Z","keys":["i1"]}
}
