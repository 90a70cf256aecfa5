package pager_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

func TestOffsetPartitions(t *testing.T) {
	for _, tt := range []struct {
		total, size int
		want        string
	}{
		{0, 10, "[]"},
		{10, 3, "[offsets 0-3 offsets 3-6 offsets 6-9 offsets 9-10]"},
		{10, 10, "[offsets 0-10]"},
		{10, 20, "[offsets 0-10]"},
		{1, 1, "[offsets 0-1]"},
	} {
		if got := fmt.Sprint(pager.OffsetPartitions(tt.total, tt.size)); got != tt.want {
			t.Errorf("OffsetPartitions(%d, %d) = %s, want %s", tt.total, tt.size, got, tt.want)
		}
	}
	wantPanic(t, "pager: OffsetPartitions(-1, 10): negative total", func() { pager.OffsetPartitions(-1, 10) })
	wantPanic(t, "pager: OffsetPartitions(10, 0): size must be at least 1", func() { pager.OffsetPartitions(10, 0) })
}

func TestTimePartitions(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cet := time.FixedZone("CET", 3600)
	for _, tt := range []struct {
		label    string
		from, to time.Time
		step     time.Duration
		want     string
	}{
		{"none", day, day, time.Hour, "[]"},
		{"the last window shorter", day, day.Add(10 * time.Hour), 4 * time.Hour,
			"[time 2026-01-01T00:00:00Z/2026-01-01T04:00:00Z time 2026-01-01T04:00:00Z/2026-01-01T08:00:00Z time 2026-01-01T08:00:00Z/2026-01-01T10:00:00Z]"},
		{"a step longer than the span", day, day.Add(time.Minute), 24 * time.Hour,
			"[time 2026-01-01T00:00:00Z/2026-01-01T00:01:00Z]"},
		{"another zone, in UTC", day.In(cet), day.Add(2 * time.Hour).In(cet), time.Hour,
			"[time 2026-01-01T00:00:00Z/2026-01-01T01:00:00Z time 2026-01-01T01:00:00Z/2026-01-01T02:00:00Z]"},
		{"fractions of a second", day, day.Add(time.Second), 500 * time.Millisecond,
			"[time 2026-01-01T00:00:00Z/2026-01-01T00:00:00.5Z time 2026-01-01T00:00:00.5Z/2026-01-01T00:00:01Z]"},
	} {
		if got := fmt.Sprint(pager.TimePartitions(tt.from, tt.to, tt.step)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.label, got, tt.want)
		}
	}
	// Made again from a time.Now, with its monotonic clock reading: equal.
	now := time.Now()
	a, b := pager.TimePartitions(now, now.Add(time.Hour), time.Minute), pager.TimePartitions(now.UTC().Round(0), now.Add(time.Hour), time.Minute)
	if len(a) != 60 || !slices.Equal(a, b) {
		t.Errorf("partitions of the same times differ: %v, %v", a[:1], b[:1])
	}
	// No overflow past the last representable time.
	end := time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC)
	if got := pager.TimePartitions(end.Add(-time.Hour), end, 1<<62); len(got) != 1 || !got[0].To.Equal(end) {
		t.Errorf("a huge step: %v", got)
	}
	wantPanic(t, "pager: TimePartitions from 2026-01-01T01:00:00Z to 2026-01-01T00:00:00Z: to is before from", func() {
		pager.TimePartitions(day.Add(time.Hour), day, time.Hour)
	})
	wantPanic(t, "pager: TimePartitions with step 0s: must be positive", func() { pager.TimePartitions(day, day, 0) })
}

func TestPartitionJSON(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []pager.Partition{
		{Start: 1000, End: 2000},
		{Start: 0, End: 0},
		{From: day, To: day.Add(time.Hour)},
		{From: day.Add(time.Nanosecond), To: day.Add(time.Hour)},
	} {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back pager.Partition
		if err := json.Unmarshal(data, &back); err != nil || back != p || back.String() != p.String() {
			t.Errorf("%s: %s round-trips to %s, %v", p, data, back, err)
		}
	}
	if data, _ := json.Marshal(pager.Partition{Start: 1000, End: 2000}); string(data) != `{"start":1000,"end":2000}` {
		t.Errorf("got %s", data)
	}
	if data, _ := json.Marshal(pager.Partition{From: day, To: day.Add(time.Hour)}); string(data) != `{"from":"2026-01-01T00:00:00Z","to":"2026-01-01T01:00:00Z"}` {
		t.Errorf("got %s", data)
	}
	for _, bad := range []string{
		`{}`, `{"start":1}`, `{"start":5,"end":4}`, `{"start":-1,"end":4}`,
		`{"start":0,"end":4,"from":"2026-01-01T00:00:00Z","to":"2026-01-01T01:00:00Z"}`,
		`{"from":"2026-01-01T01:00:00Z","to":"2026-01-01T00:00:00Z"}`,
		`{"from":"2026-01-01T01:00:00Z"}`, `[]`, `{"start":"0","end":4}`,
	} {
		var p pager.Partition
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s: decoded to %s, want an error", bad, p)
		}
	}
	if opts := (pager.Partition{From: day, To: day.Add(time.Hour)}).Options(); opts != nil {
		t.Errorf("a time window's options: %v, want none", opts)
	}
}

func TestProgress(t *testing.T) {
	parts := pager.OffsetPartitions(250, 100)
	pr := pager.NewProgress(parts)
	if pr.Done() || len(pr.Remaining()) != 3 {
		t.Fatalf("a new progress: done %v, remaining %v", pr.Done(), pr.Remaining())
	}
	pr.Save(parts[0], pager.Checkpoint{Offset: 40})
	pr.Finish(parts[1])
	pager.SaveMark(pr, parts[2], pager.Checkpoint{Offset: 230}, pager.Watermark[int]{Value: 7, Keys: []string{"a"}})
	data, err := json.Marshal(pr)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"partitions":[{"partition":{"start":0,"end":100},"checkpoint":{"offset":40}},{"partition":{"start":100,"end":200},"checkpoint":{"offset":0},"done":true},{"partition":{"start":200,"end":250},"checkpoint":{"offset":230},"mark":{"value":7,"keys":["a"]}}]}`
	if string(data) != want {
		t.Errorf("JSON:\n got %s\nwant %s", data, want)
	}
	var back pager.Progress
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(&back); string(again) != string(data) {
		t.Errorf("round trip:\n got %s\nwant %s", again, data)
	}
	if cp, done := back.At(parts[0]); cp.Offset != 40 || done {
		t.Errorf("At(%s) = %v, %v", parts[0], cp, done)
	}
	if got := back.Remaining(); !slices.Equal(got, []pager.Partition{parts[0], parts[2]}) {
		t.Errorf("Remaining() = %v", got)
	}
	if _, err := pager.NextMark(&back, pager.Watermark[int]{}); !errors.Is(err, pager.ErrNotDone) {
		t.Errorf("NextMark before the end: %v, want ErrNotDone", err)
	}
	back.Finish(parts[0])
	back.Finish(parts[2])
	if !back.Done() || back.Remaining() != nil {
		t.Errorf("all finished: done %v, remaining %v", back.Done(), back.Remaining())
	}
	if w, err := pager.NextMark(&back, pager.Watermark[int]{Value: 7, Keys: []string{"b"}}); err != nil || fmt.Sprint(w) != "{7 [a b]}" {
		t.Errorf("NextMark = %v, %v", w, err)
	}
	if _, err := pager.MarkAt[string](&back, parts[2]); err == nil {
		t.Error("a watermark of ints read as one of strings: no error")
	}

	// A progress that lost its plan is never done.
	var zero pager.Progress
	wantPanic(t, "pager: Progress.Save of partition offsets 0-100, which is not in its plan", func() { zero.Save(parts[0], pager.Checkpoint{}) })
	wantPanic(t, "pager: Progress.Finish of partition offsets 0-10, which is not in its plan", func() { pr.Finish(pager.Partition{End: 10}) })
	wantPanic(t, "pager: progress: partition offsets 0-100 is in the plan twice", func() { pager.NewProgress(append(parts, parts[0])) })
	for _, bad := range []string{`{}`, `{"partitions":null}`, `[]`,
		`{"partitions":[{"partition":{"start":0,"end":1}},{"partition":{"start":0,"end":1}}]}`,
		`{"partitions":[{"partition":{"start":0}}]}`,
		`{"partitions":[{"partition":{"start":0,"end":1},"checkpoint":{"offset":-1}}]}`,
	} {
		var p pager.Progress
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	var empty pager.Progress
	if err := json.Unmarshal([]byte(`{"partitions":[]}`), &empty); err != nil || !empty.Done() {
		t.Errorf("an empty plan: %v, done %v", err, empty.Done())
	}
}

// TestProgressConcurrent saves and finishes partitions from goroutines of
// their own while others read and marshal the progress: the race detector
// checks it, and the end state holds every partition's last save.
func TestProgressConcurrent(t *testing.T) {
	parts := pager.OffsetPartitions(1000, 10)
	pr := pager.NewProgress(parts)
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := p.Start; off <= p.End; off++ {
				pager.SaveMark(pr, p, pager.Checkpoint{Offset: off}, pager.Watermark[int]{Value: off})
			}
			pr.Finish(p)
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, err := json.Marshal(pr); err != nil {
					t.Error(err)
				}
				pr.Remaining()
				_, _ = pr.At(parts[0])
			}
		}()
	}
	wg.Wait()
	for _, p := range parts {
		if cp, done := pr.At(p); cp.Offset != p.End || !done {
			t.Errorf("%s: at %v, done %v", p, cp, done)
		}
	}
	if w, err := pager.NextMark(pr, pager.Watermark[int]{}); err != nil || w.Value != 1000 {
		t.Errorf("NextMark = %v, %v; want 1000", w, err)
	}
}

// TestPartitionedExportKilled runs exports split into partitions — offset
// ranges walked by Offset sources (some prefetched), and time windows
// walked by Token sources — on a few workers at once, kills them after a
// random number of items, and starts them again from the saved Progress,
// until it is done. The output is committed with the progress, as a
// database transaction would: the union of the output of every run must
// be the whole listing, with nothing repeated.
func TestPartitionedExportKilled(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 1))
	const n = 1000
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return epoch.Add(time.Duration(i*7) * time.Second) } // item i's time
	byTime := func(_ context.Context, p pager.Partition, req pager.Request) (pager.Page[int], error) {
		// The items of p's window, from the token's on; a token names
		// the position in the window.
		first := 0
		if req.Token != "" {
			first, _ = strconv.Atoi(req.Token)
		}
		var page pager.Page[int]
		for i := 0; i < n && len(page.Items) < min(req.Limit, 13); i++ {
			if t := at(i); !t.Before(p.From) && t.Before(p.To) {
				if first > 0 {
					first--
					continue
				}
				page.Items = append(page.Items, i)
			}
		}
		if len(page.Items) > 0 && page.Items[len(page.Items)-1] < n-1 && at(page.Items[len(page.Items)-1]+1).Before(p.To) {
			before, _ := strconv.Atoi(req.Token)
			page.Next = strconv.Itoa(before + len(page.Items))
		}
		return page, nil
	}
	rounds := 60
	if raceEnabled {
		rounds = 15
	}
	for round := range rounds {
		timed := round%2 == 1
		var plan []pager.Partition
		if timed {
			plan = pager.TimePartitions(epoch, at(n), time.Duration(60+r.IntN(3000))*time.Second)
		} else {
			plan = pager.OffsetPartitions(n, 1+r.IntN(400))
		}
		prefetch := r.IntN(4)
		workers := 1 + r.IntN(3)
		source := func(p pager.Partition) pager.Source[int] {
			if timed {
				return pager.Token(func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
					return byTime(ctx, p, req)
				}, pager.PageSize(20))
			}
			srv := &pagetest.Server{N: n, Clamp: 40, Total: true}
			src := pager.Offset(srv.Offset, append(p.Options(), pager.PageSize(50))...)
			if prefetch > 0 {
				src = pager.Prefetch(src, prefetch)
			}
			return src
		}

		var saved []byte // what the killed process left: its progress and output
		var runs int
		for ; ; runs++ {
			if runs > 100 {
				t.Fatalf("round %d: no end", round)
			}
			var state struct {
				Progress *pager.Progress
				Out      []int
			}
			if saved == nil {
				state.Progress = pager.NewProgress(plan)
			} else if err := json.Unmarshal(saved, &state); err != nil {
				t.Fatal(err)
			}
			killAt := r.IntN(n / 2)
			var mu sync.Mutex // over state and count
			count, killed := 0, false
			work := make(chan pager.Partition)
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for p := range work {
						cp, _ := state.Progress.At(p)
						walked := true
						for v, err := range pager.AllFrom(context.Background(), source(p), &cp) {
							if err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							if count == killAt {
								killed = true
							}
							count++
							if killed {
								mu.Unlock()
								walked = false
								break
							}
							state.Out = append(state.Out, v)
							state.Progress.Save(p, cp)
							mu.Unlock()
						}
						if walked {
							mu.Lock()
							if !killed {
								state.Progress.Finish(p)
							}
							mu.Unlock()
						}
					}
				}()
			}
			for _, p := range state.Progress.Remaining() {
				work <- p
			}
			close(work)
			wg.Wait()
			if t.Failed() {
				return
			}
			// The state is changed only where an item is committed: what
			// the killed process left is the state as it stands.
			var err error
			if saved, err = json.Marshal(&state); err != nil {
				t.Fatal(err)
			}
			if !killed {
				if !state.Progress.Done() {
					t.Fatalf("round %d: not done, %v left", round, state.Progress.Remaining())
				}
				got := slices.Clone(state.Out)
				slices.Sort(got)
				if diff := cmp.Diff(pagetest.Ints(n), got); diff != "" {
					t.Fatalf("round %d (%d partitions, %d workers, prefetch %d, %d runs): the union of the runs' output (-want +got):\n%s", round, len(plan), workers, prefetch, runs, diff)
				}
				break
			}
		}
	}
}

func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if got := fmt.Sprint(recover()); got != want {
			t.Errorf("got panic %q, want %q", got, want)
		}
	}()
	f()
}
