package pager_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pagerseq/pager"
)

// Run is an item of the example listing.
type Run struct {
	ID     string
	Status string
}

// runs is the example listing: 7 runs, served 3 to a page at most.
var runs = []Run{
	{"r1", "ok"}, {"r2", "failed"}, {"r3", "ok"}, {"r4", "ok"},
	{"r5", "failed"}, {"r6", "ok"}, {"r7", "ok"},
}

// fetchRuns answers GET /runs?limit=…&offset=… from runs, clamping the
// limit to 3 as a real server would, and reporting the total.
func fetchRuns(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
	end := min(req.Offset+min(req.Limit, 3), len(runs))
	fmt.Printf("GET /runs?limit=%d&offset=%d\n", req.Limit, req.Offset)
	return pager.Page[Run]{Items: runs[req.Offset:end], Total: len(runs)}, nil
}

func ExampleAll() {
	ctx := context.Background()
	for run, err := range pager.All(ctx, pager.Offset(fetchRuns, pager.PageSize(200), pager.MaxPageSize(100))) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(run.ID, run.Status)
	}
	// Output:
	// GET /runs?limit=100&offset=0
	// r1 ok
	// r2 failed
	// r3 ok
	// GET /runs?limit=100&offset=3
	// r4 ok
	// r5 failed
	// r6 ok
	// GET /runs?limit=100&offset=6
	// r7 ok
}

func ExampleTake() {
	ctx := context.Background()
	for run, err := range pager.Take(pager.All(ctx, pager.Offset(fetchRuns)), 4) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(run.ID)
	}
	// Output:
	// GET /runs?limit=100&offset=0
	// r1
	// r2
	// r3
	// GET /runs?limit=100&offset=3
	// r4
}

func ExampleFilter() {
	ctx := context.Background()
	failed := func(r Run) bool { return r.Status == "failed" }
	for run, err := range pager.Take(pager.Filter(pager.All(ctx, pager.Offset(fetchRuns)), failed), 1) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("first failure:", run.ID)
	}
	// Output:
	// GET /runs?limit=100&offset=0
	// first failure: r2
}

func ExampleCollect() {
	ctx := context.Background()
	broken := func(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
		if req.Offset >= 3 {
			return pager.Page[Run]{}, errors.New("503 Service Unavailable")
		}
		return fetchRuns(ctx, req)
	}
	all, err := pager.Collect(pager.All(ctx, pager.Offset(broken)))
	fmt.Println(len(all), "runs before:", err)
	// Output:
	// GET /runs?limit=100&offset=0
	// 3 runs before: pager: page at offset 3: 503 Service Unavailable
}

func ExampleValues() {
	ctx := context.Background()
	var err error
	ids := slices.Sorted(pager.Values(pager.Map(pager.All(ctx, pager.Offset(fetchRuns)), func(r Run) string {
		return strings.ToUpper(r.ID)
	}), &err))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ids)
	// Output:
	// GET /runs?limit=100&offset=0
	// GET /runs?limit=100&offset=3
	// GET /runs?limit=100&offset=6
	// [R1 R2 R3 R4 R5 R6 R7]
}

func ExampleKeyBy() {
	ctx := context.Background()
	var err error
	byID := maps.Collect(pager.KeyBy(pager.All(ctx, pager.Offset(fetchRuns, pager.PageSize(3))), func(r Run) string { return r.ID }, &err))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(byID), byID["r5"].Status)
	// Output:
	// GET /runs?limit=3&offset=0
	// GET /runs?limit=3&offset=3
	// GET /runs?limit=3&offset=6
	// 7 failed
}

// A walk that fails says where to resume: here the server fails once on the
// second page, and a second walk starts where the first stopped.
func ExamplePageError() {
	ctx := context.Background()
	failedOnce := false
	flaky := func(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
		if req.Offset == 3 && !failedOnce {
			failedOnce = true
			return pager.Page[Run]{}, errors.New("connection reset")
		}
		return fetchRuns(ctx, req)
	}
	var ids []string
	var opts []pager.Option
	for attempt := 1; attempt <= 2; attempt++ {
		var err error
		for run, e := range pager.All(ctx, pager.Offset(flaky, opts...)) {
			if err = e; e != nil {
				break
			}
			ids = append(ids, run.ID)
		}
		var pe *pager.PageError
		if !errors.As(err, &pe) {
			break
		}
		fmt.Println(err)
		opts = []pager.Option{pager.Resume(pe.Checkpoint)}
	}
	fmt.Println(ids)
	// Output:
	// GET /runs?limit=100&offset=0
	// pager: page at offset 3: connection reset
	// GET /runs?limit=100&offset=3
	// GET /runs?limit=100&offset=6
	// [r1 r2 r3 r4 r5 r6 r7]
}

func ExampleToken() {
	// GET /objects?pageToken=…: each page names the next; the last names none.
	pages := map[string]pager.Page[string]{
		"":        {Items: []string{"ada", "bob"}, Next: "v1.QnVp"},
		"v1.QnVp": {Items: []string{"cy"}, Next: "v1.VGhl"},
		"v1.VGhl": {Items: []string{"dee"}},
	}
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[string], error) {
		return pages[req.Token], nil
	}
	for p, err := range pager.Token(fetch).Pages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q: %v, resume with %q\n", p.Token, p.Items, p.Next)
	}
	// Output:
	// "": [ada bob], resume with "v1.QnVp"
	// "v1.QnVp": [cy], resume with "v1.VGhl"
	// "v1.VGhl": [dee], resume with ""
}

func ExampleOnPage() {
	// A logger that writes its records without the time, for the output below.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "elapsed" {
				return slog.Attr{}
			}
			return a
		},
	}))
	logPage := func(p pager.PageInfo) {
		logger.Info("page", "offset", p.Offset, "items", p.Items, "total", p.Total,
			"attempts", p.Attempts, "elapsed", p.Elapsed)
	}
	src := pager.Offset(quietRuns, pager.PageSize(3), pager.OnPage(logPage))
	runs, err := pager.Collect(pager.All(context.Background(), src))
	fmt.Println(len(runs), err)
	// Output:
	// level=INFO msg=page offset=0 items=3 total=7 attempts=1
	// level=INFO msg=page offset=3 items=3 total=7 attempts=1
	// level=INFO msg=page offset=6 items=1 total=7 attempts=1
	// 7 <nil>
}

// quietRuns is fetchRuns without the printing.
func quietRuns(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
	start := min(req.Offset, len(runs)) // Prefetch may guess past the end
	end := min(start+min(req.Limit, 3), len(runs))
	return pager.Page[Run]{Items: runs[start:end], Total: len(runs)}, nil
}

func ExamplePrefetch() {
	// Fetch up to 4 pages at once: an Offset walk knows the offsets ahead.
	// The items come out in order, exactly as from a sequential walk.
	src := pager.Prefetch(pager.Offset(quietRuns, pager.PageSize(3)), 4)
	for run, err := range pager.All(context.Background(), src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(run.ID, " ")
	}
	fmt.Println()
	// Output:
	// r1 r2 r3 r4 r5 r6 r7
}

// A walk kept in a Checkpoint resumes after the last item processed, in
// this process or another: here the first walk stops after r4 (as a crash
// would), and the second resumes from the saved checkpoint.
func ExampleAllFrom() {
	ctx := context.Background()
	src := pager.Token(fetchObjects, pager.PageSize(2))
	var saved pager.Checkpoint // in a file or a database row, in real use
	for run, err := range pager.AllFrom(ctx, src, &saved) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("first walk:", run.ID)
		if run.ID == "r4" {
			break
		}
	}
	fmt.Println("saved:", saved)
	for run, err := range pager.AllFrom(ctx, src, &saved) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("second walk:", run.ID)
	}
	// Output:
	// first walk: r1
	// first walk: r2
	// first walk: r3
	// first walk: r4
	// saved: offset=4&token=4
	// second walk: r5
	// second walk: r6
	// second walk: r7
}

// fetchObjects serves runs by page token: the token is the offset of the
// page, as a string, and the page is up to 3 runs long.
func fetchObjects(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
	off := 0
	if req.Token != "" {
		off, _ = strconv.Atoi(req.Token)
	}
	end := min(off+min(req.Limit, 3), len(runs))
	p := pager.Page[Run]{Items: runs[off:end]}
	if end < len(runs) {
		p.Next = strconv.Itoa(end)
	}
	return p, nil
}

func ExamplePageNumber() {
	// GET /events?page=N&per_page=3, with the number of pages in the answer.
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
		fmt.Printf("GET /events?page=%d&per_page=%d\n", req.Page, req.Limit)
		start := min((req.Page-1)*req.Limit, len(runs))
		end := min(start+req.Limit, len(runs))
		pages := (len(runs) + req.Limit - 1) / req.Limit
		return pager.Page[Run]{Items: runs[start:end], Last: req.Page >= pages}, nil
	}
	ids, err := pager.Collect(pager.Map(pager.All(context.Background(), pager.PageNumber(fetch, pager.PageSize(3))),
		func(r Run) string { return r.ID }))
	fmt.Println(ids, err)
	// Output:
	// GET /events?page=1&per_page=3
	// GET /events?page=2&per_page=3
	// GET /events?page=3&per_page=3
	// [r1 r2 r3 r4 r5 r6 r7] <nil>
}

// A listing that changes during an offset walk shifts items: an insertion
// at the front makes the next page start with an item already seen. Dedupe
// drops it.
func ExampleDedupe() {
	listing := []Run{{"r1", "ok"}, {"r2", "ok"}, {"r3", "ok"}, {"r4", "ok"}}
	fetch := func(ctx context.Context, req pager.Request) (pager.Page[Run], error) {
		if req.Offset == 2 { // r0 was inserted while the first page was processed
			listing = append([]Run{{"r0", "new"}}, listing...)
		}
		end := min(req.Offset+2, len(listing))
		return pager.Page[Run]{Items: listing[req.Offset:end]}, nil
	}
	seq := pager.Dedupe(pager.All(context.Background(), pager.Offset(fetch, pager.PageSize(2))),
		func(r Run) string { return r.ID })
	for run, err := range seq {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(run.ID, " ")
	}
	fmt.Println()
	// Output:
	// r1 r2 r3 r4
}
