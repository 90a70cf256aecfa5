package pager_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
)

func TestWatermarkPastAndMax(t *testing.T) {
	w := pager.Watermark[int]{Value: 10, Keys: []string{"a", "b"}}
	for _, tt := range []struct {
		mark  pager.Watermark[int]
		value int
		key   string
		want  bool
	}{
		{w, 11, "a", true},
		{w, 10, "c", true},
		{w, 10, "a", false},
		{w, 9, "z", false},
		{pager.Watermark[int]{}, -5, "a", true},
		{pager.Watermark[int]{Keys: []string{"a"}}, 0, "a", false},
		{pager.Watermark[int]{Keys: []string{"a"}}, -1, "b", false},
	} {
		if got := tt.mark.Past(tt.value, tt.key); got != tt.want {
			t.Errorf("%v.Past(%d, %q) = %v, want %v", tt.mark, tt.value, tt.key, got, tt.want)
		}
	}
	for _, tt := range []struct {
		a, b pager.Watermark[int]
		want string
	}{
		{w, pager.Watermark[int]{Value: 11, Keys: []string{"z"}}, "{11 [z]}"},
		{w, pager.Watermark[int]{Value: 9, Keys: []string{"z"}}, "{10 [a b]}"},
		{w, pager.Watermark[int]{Value: 10, Keys: []string{"c", "a"}}, "{10 [a b c]}"},
		{pager.Watermark[int]{}, pager.Watermark[int]{Value: -3, Keys: []string{"z"}}, "{-3 [z]}"},
		{pager.Watermark[int]{Value: -3, Keys: []string{"z"}}, pager.Watermark[int]{}, "{-3 [z]}"},
	} {
		got := tt.a.Max(tt.b)
		if fmt.Sprint(got) != tt.want {
			t.Errorf("%v.Max(%v) = %v, want %s", tt.a, tt.b, got, tt.want)
		}
		if back := tt.b.Max(tt.a); fmt.Sprint(back) != tt.want {
			t.Errorf("%v.Max(%v) = %v, want %s (the other way round)", tt.b, tt.a, back, tt.want)
		}
	}
	m := w.Max(pager.Watermark[int]{Value: 1})
	m.Keys[0] = "changed"
	if w.Keys[0] != "a" {
		t.Error("Max shares its keys with its receiver")
	}
	// A watermark many items share the value of.
	many := pager.Watermark[int]{Value: 5}
	var seq []version
	for i := range 13 {
		if i < 10 {
			many.Keys = append(many.Keys, "k"+strconv.Itoa(i))
		}
		seq = append(seq, version{"k" + strconv.Itoa(i), 5})
	}
	seq = append(seq, version{"x", 4}, version{"y", 6})
	next := many
	got, _ := pager.Collect(pager.Since(sliceSeq(seq), many, version.value, version.key, &next))
	if fmt.Sprint(got) != "[k10@5 k11@5 k12@5 y@6]" || fmt.Sprint(next) != "{6 [y]}" {
		t.Errorf("Since a watermark of 10 keys: %v, next %v", got, next)
	}
	next = many
	_, _ = pager.Collect(pager.Since(sliceSeq(seq[:12]), many, version.value, version.key, &next))
	if len(next.Keys) != 12 || len(many.Keys) != 10 {
		t.Errorf("next %v, mark %v: want 12 keys and 10", next, many)
	}
	// Many items at one value, each twice: each key once.
	var ties []version
	for i := range 80 {
		ties = append(ties, version{"t" + strconv.Itoa(i%40), 5})
	}
	next = pager.Watermark[int]{}
	got, _ = pager.Collect(pager.Since(sliceSeq(ties), pager.Watermark[int]{}, version.value, version.key, &next))
	if len(got) != 80 || len(next.Keys) != 40 || next.Value != 5 {
		t.Errorf("80 items of 40 keys at one value: %d delivered, next %v", len(got), next)
	}
	data, _ := json.Marshal(w)
	if string(data) != `{"value":10,"keys":["a","b"]}` {
		t.Errorf("JSON %s", data)
	}
	var back pager.Watermark[int]
	if err := json.Unmarshal(data, &back); err != nil || fmt.Sprint(back) != fmt.Sprint(w) {
		t.Errorf("JSON round trip: %v, %v", back, err)
	}
	if data, _ := json.Marshal(pager.Watermark[string]{}); string(data) != `{"value":"","keys":[]}` {
		t.Errorf("JSON of the zero Watermark: %s", data)
	}

	// A run that delivers nothing keeps the mark, even with *next zero.
	var zero pager.Watermark[int]
	_, _ = pager.Collect(pager.Since(sliceSeq([]version{{"a", 9}}), w, version.value, version.key, &zero))
	if fmt.Sprint(zero) != fmt.Sprint(w) {
		t.Errorf("next after nothing delivered: %v, want %v", zero, w)
	}
}

// TestSinceDescendingStops checks that on a listing sorted greatest first,
// SinceDescending fetches no page past the first item below the
// watermark, and yields the items past it.
func TestSinceDescendingStops(t *testing.T) {
	// 100 items, updated 99 down to 0 by key; the watermark at 60 with
	// key k60 delivered: 61..99 come, and 60 with other keys.
	type item struct {
		Key     string
		Updated int
	}
	var listing []item
	for i := 99; i >= 0; i-- {
		listing = append(listing, item{"k" + strconv.Itoa(i), i})
		if i == 60 {
			listing = append(listing, item{"k60b", 60}) // a tie at the boundary, not yet delivered
		}
	}
	var reqs []pager.Request
	fetch := func(_ context.Context, req pager.Request) (pager.Page[item], error) {
		reqs = append(reqs, req)
		return pager.Page[item]{Items: listing[min(req.Offset, len(listing)):min(req.Offset+req.Limit, len(listing))]}, nil
	}
	mark := pager.Watermark[int]{Value: 60, Keys: []string{"k60"}}
	next := mark
	got, err := pager.Collect(pager.SinceDescending(pager.All(context.Background(), pager.Offset(fetch, pager.PageSize(10))), mark,
		func(i item) int { return i.Updated }, func(i item) string { return i.Key }, &next))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range got {
		keys = append(keys, i.Key)
	}
	if want := 40; len(got) != want || keys[0] != "k99" || keys[len(keys)-1] != "k60b" {
		t.Errorf("got %d items %v, want %d: k99 … k61, k60b", len(got), keys, want)
	}
	// The first item below 60 is at position 41, on the page at 40.
	if len(reqs) != 5 || reqs[len(reqs)-1].Offset != 40 {
		t.Errorf("requests %v, want 5, the last at offset 40", reqs)
	}
	if fmt.Sprint(next) != "{99 [k99]}" {
		t.Errorf("next = %v", next)
	}
	if mark.Keys[0] != "k60" || len(mark.Keys) != 1 {
		t.Errorf("the mark changed: %v", mark)
	}
	// Since, on the same listing, walks it all.
	reqs = nil
	next = mark
	got, _ = pager.Collect(pager.Since(pager.All(context.Background(), pager.Offset(fetch, pager.PageSize(10))), mark,
		func(i item) int { return i.Updated }, func(i item) string { return i.Key }, &next))
	if len(got) != 40 || len(reqs) != 12 { // 11 pages and an empty one
		t.Errorf("Since: %d items in %d requests, want 40 in 12", len(got), len(reqs))
	}
	wantPanic(t, "pager: Since or SinceDescending with a nil value func, key func or *Watermark", func() {
		pager.Since(pager.All(context.Background(), pager.Offset(fetch)), mark, func(i item) int { return i.Updated }, func(i item) string { return i.Key }, nil)
	})
}

// A version is an item of a listing that changes: its key, and when it
// was last updated (a clock that ticks, or not, between changes).
type version struct {
	Key     string `json:"key"`
	Updated int    `json:"updated"`
}

func (v version) value() int     { return v.Updated }
func (v version) key() string    { return v.Key }
func (v version) String() string { return v.Key + "@" + strconv.Itoa(v.Updated) }

// incrementalState is what an incremental export saves: the committed
// watermark, and during a run its progress and (in one transaction with
// it) its output.
type incrementalState struct {
	Mark     pager.Watermark[int] `json:"mark"`
	Progress *pager.Progress      `json:"progress,omitempty"`
	Out      []version            `json:"out"`
}

// TestIncrementalChangingListing runs an incremental export again and
// again over a listing that changes between runs — items added, updated
// with a newer time, deleted, often at the same time as the watermark —
// in the three ways an export finds what changed: a server-side filter
// (?updated_since, inclusive) split into offset partitions, time windows
// from the watermark on, and a listing sorted newest first that the walk
// stops on. Runs are killed at random points and resumed from what they
// saved. After each run, the union of all the runs' output must be every
// version of an item that existed when a run started, none twice; and the
// descending walk must fetch no page past the watermark.
func TestIncrementalChangingListing(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 3))
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, mode := range []string{"filter", "windows", "descending"} {
		rounds := 40
		if raceEnabled {
			rounds = 8 // nothing runs concurrently here
		}
		for round := range rounds {
			items := map[string]int{} // key → updated
			clock, nextKey := 0, 0
			var state incrementalState
			seen := map[version]int{} // output of all runs: times each version came
			want := map[version]bool{}
			for run := range 12 {
				// Changes since the last run.
				for range r.IntN(30) {
					if r.IntN(3) == 0 {
						clock++ // often not: ties
					}
					switch k := r.IntN(10); {
					case k < 5 || len(items) == 0:
						items["i"+strconv.Itoa(nextKey)] = clock
						nextKey++
					case k < 9: // at the time it had, if the clock has not ticked: the same version
						items[slices.Sorted(maps.Keys(items))[r.IntN(len(items))]] = clock
					default:
						delete(items, slices.Sorted(maps.Keys(items))[r.IntN(len(items))])
					}
				}
				for k, u := range items {
					want[version{k, u}] = true
				}
				where := fmt.Sprintf("%s, round %d, run %d, mark %v", mode, round, run, state.Mark)
				out := runIncremental(t, r, mode, epoch, items, clock, &state, where)
				for _, v := range out {
					seen[v]++
					if seen[v] > 1 {
						t.Fatalf("%s: %v delivered twice", where, v)
					}
				}
				if got := setOf(seen); !maps.Equal(want, got) {
					t.Fatalf("%s: versions delivered by all runs (-want +got):\n%s", where, gocmp.Diff(want, got))
				}
			}
		}
	}
}

func sliceSeq[T any](s []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range s {
			if !yield(v, nil) {
				return
			}
		}
	}
}

func setOf(m map[version]int) map[version]bool {
	s := make(map[version]bool, len(m))
	for v := range m {
		s[v] = true
	}
	return s
}

// runIncremental runs one incremental export of the listing items, as it
// stands at clock, from state's watermark, killing it at random points and
// resuming it from its saved state until it is done; it commits the new
// watermark to state and returns what the run delivered.
func runIncremental(t *testing.T, r *rand.Rand, mode string, epoch time.Time, items map[string]int, clock int, state *incrementalState, where string) []version {
	t.Helper()
	// The listing sorted oldest first (newest first for "descending"),
	// ties by key.
	var listing []version
	for k, u := range items {
		listing = append(listing, version{k, u})
	}
	slices.SortFunc(listing, func(a, b version) int {
		if c := cmp.Compare(a.Updated, b.Updated); c != 0 {
			if mode == "descending" {
				return -c
			}
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	mark := state.Mark
	// The server's filter: ?updated_since=mark.Value (inclusive).
	filtered := listing
	if mode == "filter" && !mark.IsZero() {
		filtered = slices.DeleteFunc(slices.Clone(listing), func(v version) bool { return v.Updated < mark.Value })
	}
	var plan []pager.Partition
	switch mode {
	case "filter":
		plan = pager.OffsetPartitions(len(filtered), 1+r.IntN(12))
	case "windows":
		from := epoch.Add(time.Duration(mark.Value) * time.Second)
		plan = pager.TimePartitions(from, epoch.Add(time.Duration(clock+1)*time.Second), time.Duration(1+r.IntN(4))*time.Second)
	case "descending":
		plan = []pager.Partition{{Start: 0, End: len(listing)}}
	}
	// The first position past the watermark in the descending listing:
	// no request may start past it.
	stop := len(listing)
	if mode == "descending" && !mark.IsZero() {
		stop = slices.IndexFunc(listing, func(v version) bool { return v.Updated < mark.Value })
		if stop < 0 {
			stop = len(listing)
		}
	}
	source := func(p pager.Partition) pager.Source[version] {
		var page func(req pager.Request) []version
		switch mode {
		case "filter", "descending":
			page = func(req pager.Request) []version {
				if mode == "descending" && req.Offset > stop {
					t.Errorf("%s: a request at %d, past the first item below the watermark at %d", where, req.Offset, stop)
				}
				return filtered[min(req.Offset, len(filtered)):min(req.Offset+req.Limit, len(filtered))]
			}
		case "windows": // ?updated_from=…&updated_to=…
			page = func(req pager.Request) []version {
				var in []version
				for _, v := range listing {
					if at := epoch.Add(time.Duration(v.Updated) * time.Second); !at.Before(p.From) && at.Before(p.To) {
						in = append(in, v)
					}
				}
				return in[min(req.Offset, len(in)):min(req.Offset+req.Limit, len(in))]
			}
		}
		fetch := func(_ context.Context, req pager.Request) (pager.Page[version], error) {
			return pager.Page[version]{Items: page(req)}, nil
		}
		return pager.Offset(fetch, append(p.Options(), pager.PageSize(1+r.IntN(5)))...)
	}

	var delivered []version
	saved, _ := json.Marshal(state)
	for kills := 0; ; kills++ {
		if kills > 200 {
			t.Fatalf("%s: no end", where)
		}
		var s incrementalState // a new process
		if err := json.Unmarshal(saved, &s); err != nil {
			t.Fatal(err)
		}
		if s.Progress == nil {
			s.Progress, s.Out = pager.NewProgress(plan), nil
		}
		killAt, count := r.IntN(2*len(listing)+2), 0
		killed := false
		for _, p := range s.Progress.Remaining() {
			cp, _ := s.Progress.At(p)
			next, err := pager.MarkAt[int](s.Progress, p)
			if err != nil {
				t.Fatal(err)
			}
			since := pager.Since[version, int]
			if mode == "descending" {
				since = pager.SinceDescending[version, int]
			}
			for v, err := range since(pager.AllFrom(context.Background(), source(p), &cp), s.Mark, version.value, version.key, &next) {
				if err != nil {
					t.Fatal(err)
				}
				if count == killAt {
					killed = true
					break
				}
				count++
				s.Out = append(s.Out, v)
				pager.SaveMark(s.Progress, p, cp, next)
			}
			if killed {
				break
			}
			// A descending walk stopped early has not reached its end,
			// but is done: the rest is below the watermark.
			s.Progress.Finish(p)
		}
		if killed {
			// s changes only where an item or a partition is committed:
			// what the killed process left is s as it stands.
			saved, _ = json.Marshal(&s)
			continue
		}
		// Every partition finished: commit the new watermark, and the
		// output with it.
		next, err := pager.NextMark(s.Progress, s.Mark)
		if err != nil {
			t.Fatal(err)
		}
		if next.Value < s.Mark.Value {
			t.Fatalf("%s: the watermark went back from %v to %v", where, s.Mark, next)
		}
		delivered = s.Out
		*state = incrementalState{Mark: next}
		return delivered
	}
}

// TestSaveMarkMarshalWhileWalking marshals a Progress while a partition's
// walk saves its watermark after every item, as an export that writes its
// state now and then from another goroutine does (run with -race): each
// encoding holds a watermark the walk had, and the last the final one.
func TestSaveMarkMarshalWhileWalking(t *testing.T) {
	const n = 2000
	items := make([]version, n)
	for i := range items {
		items[i] = version{Key: strconv.Itoa(i), Updated: i / 500} // 500 keys a value
	}
	p := pager.Partition{Start: 0, End: n}
	pr := pager.NewProgress([]pager.Partition{p})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var next pager.Watermark[int]
		i := 0
		for range pager.Since(sliceSeq(items), pager.Watermark[int]{}, func(v version) int { return v.Updated }, func(v version) string { return v.Key }, &next) {
			i++
			pager.SaveMark(pr, p, pager.Checkpoint{Offset: i}, next)
		}
		pr.Finish(p)
	}()
	check := func(data []byte) {
		t.Helper()
		var back pager.Progress
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		cp, _ := back.At(p)
		w, err := pager.MarkAt[int](&back, p)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Offset == 0 {
			return // no item saved yet
		}
		// The watermark of the first cp.Offset items: value (cp.Offset-1)/500,
		// with the keys of that value up to there.
		v := (cp.Offset - 1) / 500
		var want []string
		for i := v * 500; i < cp.Offset; i++ {
			want = append(want, strconv.Itoa(i))
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(w.Keys))
		if w.Value != v || !slices.Equal(got, want) {
			t.Fatalf("at offset %d: watermark value %d with %d keys, want %d with %d", cp.Offset, w.Value, len(got), v, len(want))
		}
	}
	for {
		select {
		case <-done:
			data, err := json.Marshal(pr)
			if err != nil {
				t.Fatal(err)
			}
			check(data)
			if w, _ := pager.MarkAt[int](pr, p); w.Value != (n-1)/500 || len(w.Keys) != 500 {
				t.Errorf("final watermark value %d with %d keys, want %d with 500", w.Value, len(w.Keys), (n-1)/500)
			}
			return
		default:
		}
		data, err := json.Marshal(pr)
		if err != nil {
			t.Fatal(err)
		}
		check(data)
	}
}
