package pager_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
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
		opts = []pager.Option{pager.StartOffset(pe.Offset)}
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
	end := min(req.Offset+min(req.Limit, 3), len(runs))
	return pager.Page[Run]{Items: runs[req.Offset:end], Total: len(runs)}, nil
}
