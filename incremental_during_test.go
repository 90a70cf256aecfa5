package pager_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pagerseq/pager"
)

// liveListing is a listing that changes while a run walks it: items by
// key, each with the clock's value when it was last written.
type liveListing struct {
	items   map[string]int // key → updated
	clock   int
	nextKey int
	changes int // insertions and updates made by change, since reset
}

// change makes one random change: an insertion or an update at the
// clock's value (the clock ticks, or not: ties), or, if del, a deletion.
func (l *liveListing) change(r *rand.Rand, del bool) {
	if r.IntN(3) == 0 {
		l.clock++
	}
	switch k := r.IntN(10); {
	case k < 5 || len(l.items) == 0:
		l.items["i"+strconv.Itoa(l.nextKey)] = l.clock
		l.nextKey++
	case k < 8 || !del:
		l.items[slices.Sorted(maps.Keys(l.items))[r.IntN(len(l.items))]] = l.clock
	default:
		delete(l.items, slices.Sorted(maps.Keys(l.items))[r.IntN(len(l.items))])
		return
	}
	l.changes++
}

// sorted returns the listing in (updated, key) order, or (-updated, key)
// if desc.
func (l *liveListing) sorted(desc bool) []version {
	var s []version
	for k, u := range l.items {
		s = append(s, version{k, u})
	}
	slices.SortFunc(s, func(a, b version) int {
		c := cmp.Compare(a.Updated, b.Updated)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.Key, b.Key))
	})
	return s
}

func (l *liveListing) versions() map[version]bool {
	s := make(map[version]bool, len(l.items))
	for k, u := range l.items {
		s[version{k, u}] = true
	}
	return s
}

// keysetSource is the incremental walk by keyset: the server answers
// ?updated_since=mark.Value (inclusive) &updated_before=before sorted by
// (updated, key), from after the cursor — the last item's (updated, key),
// "updated/key" in the token — and before each page but the first, during
// makes changes. No bound is before = math.MaxInt.
func keysetSource(l *liveListing, mark pager.Watermark[int], before, size int, during func()) pager.Source[version] {
	return pager.Token(func(_ context.Context, req pager.Request) (pager.Page[version], error) {
		var after *version
		if req.Token != "" {
			during()
			u, k, ok := strings.Cut(req.Token, "/")
			n, err := strconv.Atoi(u)
			if !ok || err != nil {
				return pager.Page[version]{}, fmt.Errorf("bad cursor %q", req.Token)
			}
			after = &version{k, n}
		}
		var p pager.Page[version]
		for _, v := range l.sorted(false) {
			if len(p.Items) == req.Limit {
				break
			}
			if !mark.IsZero() && v.Updated < mark.Value || v.Updated >= before ||
				after != nil && cmp.Or(cmp.Compare(v.Updated, after.Updated), cmp.Compare(v.Key, after.Key)) <= 0 {
				continue
			}
			p.Items = append(p.Items, v)
		}
		if n := len(p.Items); n > 0 {
			p.Next = strconv.Itoa(p.Items[n-1].Updated) + "/" + p.Items[n-1].Key
		}
		return p, nil
	}, pager.PageSize(size))
}

// offsetSource is an offset walk of the listing, sorted newest first with
// no filter (desc), or oldest first with the inclusive filter
// ?updated_since=mark.Value; before each page but the first, during
// makes changes.
func offsetSource(l *liveListing, mark pager.Watermark[int], size int, desc bool, during func()) pager.Source[version] {
	return pager.Offset(func(_ context.Context, req pager.Request) (pager.Page[version], error) {
		if req.Offset > 0 {
			during()
		}
		listing := l.sorted(desc)
		if !desc && !mark.IsZero() {
			listing = slices.DeleteFunc(listing, func(v version) bool { return v.Updated < mark.Value })
		}
		return pager.Page[version]{Items: listing[min(req.Offset, len(listing)):min(req.Offset+req.Limit, len(listing))]}, nil
	}, pager.PageSize(size))
}

// TestIncrementalChangesDuringRun runs an incremental export again and
// again over a listing that changes while a run walks it, between its
// pages, in the two walks the README recommends for such a listing:
//
//   - keyset: ?updated_since=mark.Value&updated_before=<the run's start>
//     sorted by (updated, key), with the last item's pair as the cursor;
//     items inserted, updated and deleted during the run. No version may
//     ever come twice.
//   - descending: newest first, walked by offset, with SinceDescending;
//     items inserted and updated during the run (a deletion skips, as
//     documented). A version may come again within its run (an insertion
//     or update before the walk's place shifts one onto the next page),
//     at most once per such change, never in a later run: dedupe by key
//     and value mends it.
//
// Nothing may be lost: a version that existed when a run started and
// still exists when it ends must have come by its end; and a last run
// with no change during it must leave every version of the listing
// delivered. The same harness must find losses in two walks: an offset
// walk sorted oldest first (TestIncrementalOffsetSkips has one such
// sequence), and the keyset walk without updated_before, which loses an
// item written during the run at the cursor's value with a key below the
// cursor's, once the run goes on to a greater value.
func TestIncrementalChangesDuringRun(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 4))
	rounds := 60
	if raceEnabled {
		rounds = 15
	}
	for _, mode := range []string{"keyset", "descending", "offset", "keyset-unbounded"} {
		loses := mode == "offset" || mode == "keyset-unbounded"
		losses := 0
		for round := range rounds {
			lost := changesDuringRuns(t, r, mode, round)
			if lost != "" && !loses {
				t.Fatal(lost)
			}
			if lost != "" {
				losses++
			}
		}
		if loses && losses == 0 {
			t.Errorf("%s: no loss in %d rounds; the harness cannot see one", mode, rounds)
		}
		t.Logf("%s: %d of %d rounds lost a version", mode, losses, rounds)
	}
}

// changesDuringRuns runs 10 incremental runs and a quiet last one over a
// live listing, in the given mode, and returns a description of the first
// version lost, or "". Repeats beyond what the mode allows fail t.
func changesDuringRuns(t *testing.T, r *rand.Rand, mode string, round int) string {
	t.Helper()
	l := &liveListing{items: map[string]int{}}
	var mark pager.Watermark[int]
	seen := map[version]int{} // versions delivered, by all runs: the run that first delivered each
	for run := range 11 {
		quiet := run == 10
		for range r.IntN(20) {
			if !quiet {
				l.change(r, true)
			}
		}
		l.clock++ // the run starts at clock: every value written during it is at least that
		before := l.clock
		if mode == "keyset-unbounded" {
			before = math.MaxInt
		}
		start := l.versions()
		l.changes = 0
		budget := r.IntN(16) // changes during the run: a listing that grows faster than the walk never ends
		if quiet {
			budget = 0
		}
		during := func() {
			for n := r.IntN(4); n > 0 && budget > 0; n-- {
				budget--
				l.change(r, mode != "descending")
			}
		}
		next, size := mark, 1+r.IntN(4)
		seq := pager.Since(pager.All(context.Background(), keysetSource(l, mark, before, size, during)), mark, version.value, version.key, &next)
		switch mode {
		case "descending":
			seq = pager.SinceDescending(pager.All(context.Background(), offsetSource(l, mark, size, true, during)), mark, version.value, version.key, &next)
		case "offset":
			seq = pager.Since(pager.All(context.Background(), offsetSource(l, mark, size, false, during)), mark, version.value, version.key, &next)
		}
		where := fmt.Sprintf("%s, round %d, run %d, mark %v", mode, round, run, mark)
		repeats := 0
		for v, err := range seq {
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			first, ok := seen[v]
			switch {
			case !ok:
				seen[v] = run
				continue
			case strings.HasPrefix(mode, "keyset"):
				t.Fatalf("%s: %v delivered twice", where, v)
			case first != run:
				t.Fatalf("%s: %v delivered again, first by run %d", where, v, first)
			}
			repeats++
		}
		if mode == "descending" && repeats > l.changes {
			t.Fatalf("%s: %d repeats, with %d insertions and updates during the run", where, repeats, l.changes)
		}
		if next.Value < mark.Value {
			t.Fatalf("%s: the watermark went back from %v to %v", where, mark, next)
		}
		end := l.versions()
		for _, v := range slices.SortedFunc(maps.Keys(start), func(a, b version) int { return cmp.Compare(a.String(), b.String()) }) {
			if _, ok := seen[v]; !ok && end[v] {
				return fmt.Sprintf("%s: %v, in the listing from the run's start to its end, not delivered; the new watermark %v is past it", where, v, next)
			}
		}
		mark = next
	}
	for v := range l.versions() {
		if _, ok := seen[v]; !ok {
			return fmt.Sprintf("%s, round %d: %v not delivered after a last run with no change during it", mode, round, v)
		}
	}
	return ""
}

// TestIncrementalOffsetSkips backs the README's warning: an offset walk
// of a listing sorted oldest first, by an inclusive ?updated_since filter,
// loses an item for good when one it has passed is updated during the
// run. On a, b, c, d (updated 1 to 4) in pages of 2, a is updated to 5
// after the first page: the listing becomes b, c, d, a, the page at
// offset 2 is d, a, and c is skipped; the run's watermark, 5 with a, is
// past c in the next run and every later one. The keyset walk of the same
// sequence delivers c.
func TestIncrementalOffsetSkips(t *testing.T) {
	for _, mode := range []string{"offset", "keyset"} {
		l := &liveListing{items: map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}, clock: 4}
		var mark pager.Watermark[int]
		var got []string
		for run := range 3 {
			l.clock++ // the run starts: no item written during it is below before
			before := l.clock
			pages := 0
			during := func() {
				if pages++; run == 0 && pages == 1 {
					l.clock++
					l.items["a"] = l.clock
				}
			}
			size := 2
			var src pager.Source[version]
			if mode == "offset" {
				src = offsetSource(l, mark, size, false, during)
			} else {
				src = keysetSource(l, mark, before, size, during)
			}
			next := mark
			for v, err := range pager.Since(pager.All(context.Background(), src), mark, version.value, version.key, &next) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v.String())
			}
			got = append(got, "|")
			mark = next
		}
		want := map[string]string{
			"offset": "a@1 b@2 d@4 a@6 | | |",     // c@3 lost
			"keyset": "a@1 b@2 c@3 d@4 | a@6 | |", // nothing lost; a@6, written during run 0, in run 1
		}[mode]
		if s := strings.Join(got, " "); s != want {
			t.Errorf("%s: three runs delivered %s, want %s", mode, s, want)
		}
	}
}
