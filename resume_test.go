package pager_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/pagetest"
)

// pageFetch is a FetchFunc for a PageNumber source over srv's listing:
// page n holds the items from (n-1)*limit on.
func pageFetch(srv *pagetest.Server) pager.FetchFunc[int] {
	return func(ctx context.Context, req pager.Request) (pager.Page[int], error) {
		return srv.Offset(ctx, pager.Request{Offset: (req.Page - 1) * req.Limit, Limit: req.Limit})
	}
}

// sourceKinds builds a source of each kind over srv, with opts.
var sourceKinds = []struct {
	label string
	src   func(srv *pagetest.Server, opts ...pager.Option) pager.Source[int]
}{
	{"offset", func(srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
		return pager.Offset(srv.Offset, opts...)
	}},
	{"token", func(srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
		return pager.Token(srv.Token, opts...)
	}},
	{"page", func(srv *pagetest.Server, opts ...pager.Option) pager.Source[int] {
		return pager.PageNumber(pageFetch(srv), opts...)
	}},
}

// TestPageErrorCheckpoint checks that Resume(pe.Checkpoint) of a failed
// walk yields the rest of the listing, with nothing repeated or skipped,
// for every kind of source, failing at every page, and for a walk that
// was itself resumed mid-page and failed again before its first item.
func TestPageErrorCheckpoint(t *testing.T) {
	const n, size = 47, 10
	errDown := errors.New("down")
	for _, k := range sourceKinds {
		for failAt := 1; failAt <= 5; failAt++ {
			t.Run(fmt.Sprintf("%s/fail at call %d", k.label, failAt), func(t *testing.T) {
				failing := &pagetest.Server{N: n, Total: true, Fail: func(call int, _ pager.Request) error {
					if call == failAt {
						return errDown
					}
					return nil
				}}
				got, err := pager.Collect(pager.All(context.Background(), k.src(failing, pager.PageSize(size))))
				var pe *pager.PageError
				if !errors.As(err, &pe) || !errors.Is(err, errDown) {
					t.Fatalf("got %v, want a *PageError wrapping %v", err, errDown)
				}
				// Resume mid-page too: deliver 3 items of the failed page
				// first, then fail again, then resume from that error.
				cp := pe.Checkpoint
				var first []int
				if k.label != "offset" {
					for v, err := range pager.AllFrom(context.Background(), k.src(&pagetest.Server{N: n, Total: true}, pager.PageSize(size)), &cp) {
						if err != nil {
							t.Fatal(err)
						}
						if first = append(first, v); len(first) == 3 {
							break
						}
					}
					again := &pagetest.Server{N: n, Total: true, Fail: func(int, pager.Request) error { return errDown }}
					_, err = pager.Collect(pager.All(context.Background(), k.src(again, pager.PageSize(size), pager.Resume(cp))))
					if !errors.As(err, &pe) || pe.Checkpoint != cp {
						t.Fatalf("resumed walk failed with %v, want a *PageError with the checkpoint it resumed from, %+v", err, cp)
					}
				}
				rest, err := pager.Collect(pager.All(context.Background(),
					k.src(&pagetest.Server{N: n, Total: true}, pager.PageSize(size), pager.Resume(pe.Checkpoint))))
				if err != nil {
					t.Fatal(err)
				}
				all := append(append(got, first...), rest...)
				if diff := cmp.Diff(pagetest.Ints(n), all); diff != "" {
					t.Errorf("items before the error, then resumed from %+v (-want +got):\n%s", pe.Checkpoint, diff)
				}
			})
		}
	}
}

// TestOptionsApply checks that every option given to a source it does not
// apply to panics when the source is built, naming both.
func TestOptionsApply(t *testing.T) {
	srv := &pagetest.Server{}
	build := map[string]func(...pager.Option){
		"an Offset source":     func(o ...pager.Option) { pager.Offset(srv.Offset, o...) },
		"a Token source":       func(o ...pager.Option) { pager.Token(srv.Token, o...) },
		"a PageNumber source":  func(o ...pager.Option) { pager.PageNumber(srv.Offset, o...) },
		"an NDJSON source":     func(o ...pager.Option) { pager.NDJSON[int](strings.NewReader(""), o...) },
		"an NDJSONOpen source": func(o ...pager.Option) { pager.NDJSONOpen[int](openNothing, o...) },
		"WriteNDJSON": func(o ...pager.Option) {
			_, _ = pager.WriteNDJSON(io.Discard, pager.All(context.Background(), pager.Offset(srv.Offset)), o...)
		},
	}
	report := func(*pager.LineError) error { return nil }
	tests := []struct {
		option  string
		opt     pager.Option
		applies []string
	}{
		{"PageSize", pager.PageSize(5), []string{"an Offset source", "a Token source", "a PageNumber source"}},
		{"MaxPageSize", pager.MaxPageSize(5), []string{"an Offset source", "a Token source", "a PageNumber source"}},
		{"StartOffset", pager.StartOffset(5), []string{"an Offset source", "a Token source", "a PageNumber source", "an NDJSON source", "an NDJSONOpen source"}},
		{"EndOffset", pager.EndOffset(5), []string{"an Offset source"}},
		{"StartToken", pager.StartToken("x"), []string{"a Token source"}},
		{"StartPage", pager.StartPage(2), []string{"a PageNumber source"}},
		{"StopOnShortPage", pager.StopOnShortPage(), []string{"an Offset source", "a PageNumber source"}},
		{"StrictTotal", pager.StrictTotal(), []string{"an Offset source", "a PageNumber source"}},
		{"Retry", pager.Retry(pager.RetryPolicy{Attempts: 2}), []string{"an Offset source", "a Token source", "a PageNumber source", "an NDJSONOpen source"}},
		{"OnPage", pager.OnPage(func(pager.PageInfo) {}), []string{"an Offset source", "a Token source", "a PageNumber source", "an NDJSONOpen source"}},
		{"MaxLineSize", pager.MaxLineSize(9), []string{"an NDJSON source", "an NDJSONOpen source"}},
		{"SkipBadLines", pager.SkipBadLines(report), []string{"an NDJSON source", "an NDJSONOpen source"}},
		{"DecodeWith", pager.DecodeWith(func([]byte, any) error { return nil }), []string{"an NDJSON source", "an NDJSONOpen source"}},
		{"EncodeWith", pager.EncodeWith(func(any) ([]byte, error) { return nil, nil }), []string{"WriteNDJSON"}},
	}
	for _, tt := range tests {
		for source, b := range build {
			want := ""
			if !slices.Contains(tt.applies, source) {
				want = fmt.Sprintf("pager: %s does not apply to %s", tt.option, source)
			}
			func() {
				defer func() {
					if got, _ := recover().(string); got != want {
						t.Errorf("%s given to %s: got panic %q, want %q", tt.option, source, got, want)
					}
				}()
				b(tt.opt)
			}()
		}
	}
}

func openNothing(context.Context, int) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

// TestPageErrorHidesURLQuery checks that a Link walk's token, a URL, is
// shown in the message without its query, which may hold a secret.
func TestPageErrorHidesURLQuery(t *testing.T) {
	err := &pager.PageError{Token: "https://api.example.com/items?page=2&access_token=s3cret", Err: errors.New("503")}
	if got, want := err.Error(), `pager: page with token "https://api.example.com/items?…" (offset 0): 503`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNDJSONResume checks that NDJSON and NDJSONOpen sources resume from a
// checkpoint, Resume's and AllFrom's, with nothing repeated or skipped.
func TestNDJSONResume(t *testing.T) {
	const n = 10
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, "%d\n", i)
	}
	ctx := context.Background()
	got, err := pager.Collect(pager.All(ctx, pager.NDJSON[int](strings.NewReader(lines.String()), pager.Resume(pager.Checkpoint{Offset: 4}))))
	if diff := cmp.Diff(pagetest.Ints(n)[4:], got); err != nil || diff != "" {
		t.Errorf("NDJSON resumed at 4: %v (-want +got):\n%s", err, diff)
	}

	// A stream that starts at any item, as ?offset= does.
	open := func(_ context.Context, offset int) (io.ReadCloser, error) {
		var from strings.Builder
		for i := offset; i < n; i++ {
			fmt.Fprintf(&from, "%d\n", i)
		}
		return io.NopCloser(strings.NewReader(from.String())), nil
	}
	var cp pager.Checkpoint
	var first []int
	for v, err := range pager.AllFrom(ctx, pager.NDJSONOpen[int](open), &cp) {
		if err != nil {
			t.Fatal(err)
		}
		if first = append(first, v); len(first) == 6 {
			break
		}
	}
	if cp != (pager.Checkpoint{Offset: 6}) {
		t.Fatalf("AllFrom left checkpoint %+v, want offset 6", cp)
	}
	rest, err := pager.Collect(pager.AllFrom(ctx, pager.NDJSONOpen[int](open), &cp))
	if diff := cmp.Diff(pagetest.Ints(n), append(first, rest...)); err != nil || diff != "" {
		t.Errorf("NDJSONOpen resumed: %v (-want +got):\n%s", err, diff)
	}

	defer func() {
		if msg, _ := recover().(string); !strings.HasPrefix(msg, "pager: a Token or PageNumber walk's checkpoint given to NDJSON") {
			t.Errorf("got panic %q, want one about a Token walk's checkpoint", msg)
		}
	}()
	pager.NDJSON[int](strings.NewReader(""), pager.Resume(pager.Checkpoint{Token: "x"}))
}

// TestNDJSONOpenIgnoredOffset opens streams that break off after three
// items and start from the first item whatever offset is asked for: the
// walk ends with ErrRepeatedPage, having delivered each item once, instead
// of opening them again for ever.
func TestNDJSONOpenIgnoredOffset(t *testing.T) {
	opened := 0
	open := func(context.Context, int) (io.ReadCloser, error) {
		opened++
		return io.NopCloser(strings.NewReader("1\n2\n3\n{\"cut")), nil
	}
	src := pager.NDJSONOpen[int](open, pager.Retry(pager.RetryPolicy{Attempts: 5, MaxDelay: time.Microsecond}))
	got, err := pager.Collect(pager.Take(pager.All(context.Background(), src), 100))
	if !errors.Is(err, pager.ErrRepeatedPage) || !slices.Equal(got, []int{1, 2, 3}) || opened != 2 {
		t.Errorf("got %v and %v after %d opens, want [1 2 3] and ErrRepeatedPage after 2", got, err, opened)
	}
}

// TestReviewFixes holds the regression tests of a review: a retry policy
// with no practical cap, and a URL token with a password.
func TestReviewFixes(t *testing.T) {
	calls := 0
	fetch := func(context.Context, pager.Request) (pager.Page[int], error) {
		if calls++; calls < 40 {
			return pager.Page[int]{}, errors.New("503")
		}
		return pager.Page[int]{}, nil
	}
	policy := pager.RetryPolicy{Attempts: 50, MinDelay: time.Nanosecond, MaxDelay: math.MaxInt64}
	if _, err := pager.Collect(pager.All(context.Background(), pager.Offset(fetch, pager.Retry(policy), pager.WithSleep(func(context.Context, time.Duration) error { return nil })))); err != nil {
		t.Errorf("a walk with MaxDelay of MaxInt64: %v", err)
	}
	err := &pager.PageError{Token: "https://user:s3cret@api.example.com/items?page=2", Err: errors.New("503")}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %q: the password shows", err.Error())
	}
}

// TestResumeWrongKind: a checkpoint of another kind of walk is refused
// when the source is built, not taken for a fresh start.
func TestResumeWrongKind(t *testing.T) {
	srv := &pagetest.Server{}
	for label, build := range map[string]func(){
		"an Offset walk's to PageNumber": func() { pager.PageNumber(pageFetch(srv), pager.Resume(pager.Checkpoint{Offset: 7})) },
		"a PageNumber walk's to Token":   func() { pager.Token(srv.Token, pager.Resume(pager.Checkpoint{Offset: 7, Page: 2})) },
		"a Token walk's to Offset":       func() { pager.Offset(srv.Offset, pager.Resume(pager.Checkpoint{Token: "t"})) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "pager: ") {
					t.Errorf("%s: got panic %q, want a pager: message", label, msg)
				}
			}()
			build()
		}()
	}
	// A PageNumber walk's own checkpoint at page 1 with a skip is fine.
	pager.PageNumber(pageFetch(srv), pager.Resume(pager.Checkpoint{Page: 1, Skip: 3}))
}
