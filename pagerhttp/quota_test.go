package pagerhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// TestQuotaShared sends a request with Open, as pagecat's detection does,
// and walks the listing after it: its answer said that the quota is
// spent, so the walk's first request waits for the reset, and so does an
// Open after the walk's last answer said so.
func TestQuotaShared(t *testing.T) {
	start := time.Unix(2_000_000_000, 0)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := calls.Add(1)
		switch call {
		case 1: // Open's: spent for 30 s
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", "30")
		case 3: // the walk's last: spent until an epoch time
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(start.Unix()+50))
		}
		if call == 2 {
			fmt.Fprint(w, `[{"id": 1}]`)
		} else {
			fmt.Fprint(w, `[]`)
		}
	}))
	defer srv.Close()
	clk := &pacing{now: start}
	type waited struct {
		D     time.Duration
		Until time.Time
	}
	var waits []waited
	q := &pagerhttp.Quota{OnWait: func(d time.Duration, until time.Time) { waits = append(waits, waited{d, until}) }}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: q})
	open := func() {
		t.Helper()
		resp, err := pagerhttp.Open(context.Background(), ep, "", "application/json")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	open()
	got, err := pager.Collect(pager.All(context.Background(), pager.Offset(pagerhttp.OffsetFetch[Rec](ep))))
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v; want 1 record", got, err)
	}
	open()
	if diff := cmp.Diff([]time.Duration{30 * time.Second, 20 * time.Second}, clk.slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	want := []waited{{30 * time.Second, start.Add(30 * time.Second)}, {20 * time.Second, start.Add(50 * time.Second)}}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("OnWait calls (-want +got):\n%s", diff)
	}
}

// TestQuotaSharedTooFar: a reset further away than MaxQuotaWait fails the
// next request at once, unsent, with an error that is not retried and
// says until when.
func TestQuotaSharedTooFar(t *testing.T) {
	start := time.Unix(2_000_000_000, 0)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(start.Unix()+3600))
		fmt.Fprint(w, `[{"id": 1}]`)
	}))
	defer srv.Close()
	clk := &pacing{now: start}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	resp, err := pagerhttp.Open(context.Background(), ep, "", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = pager.Collect(pager.All(context.Background(),
		pager.Offset(pagerhttp.OffsetFetch[Rec](ep), pager.Retry(pager.RetryPolicy{Attempts: 3}))))
	if !errors.Is(err, pagerhttp.ErrQuotaSpent) {
		t.Fatalf("got %v, want ErrQuotaSpent", err)
	}
	if want := "until 2033-05-18T04:33:20Z (in 1h0m0s; Endpoint.MaxQuotaWait is 1m0s): GET " + srv.URL; !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to say %q", err, want)
	}
	if n := calls.Load(); n != 1 || len(clk.slept) != 0 {
		t.Errorf("got %d requests and sleeps %v, want 1 and none", n, clk.slept)
	}
}

// TestQuotaOwn: without a Quota, an Open call is paced by nothing before
// it, and a FetchFunc by its own answers only.
func TestQuotaOwn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", "30")
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &pacing{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t)})
	for range 2 {
		resp, err := pagerhttp.Open(context.Background(), ep, "", "application/json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	for range 2 {
		if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]time.Duration{30 * time.Second}, clk.slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// TestQuotaRetryAfter: a 429 with a Retry-After, and no quota headers,
// holds back the next request through the quota, whoever sends it.
func TestQuotaRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &pacing{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	var he *pagerhttp.HTTPError
	if _, err := pagerhttp.Open(context.Background(), ep, "", "application/json"); !errors.As(err, &he) || he.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("got %v, want a 429", err)
	}
	if _, err := pagerhttp.OffsetFetch[Rec](ep)(context.Background(), pager.Request{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, clk.slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// TestQuotaProbe sends three requests at once through a quota that an
// answer said is spent: when the reset comes, one goes first, and the
// others wait for its answer. If it says the quota is spent again, they
// go one at a time, each after its reset; if it says there is room, they
// go.
func TestQuotaProbe(t *testing.T) {
	for _, tt := range []struct {
		label     string
		remaining string // what every answer says is left
		wantMax   int32  // the most requests in flight at once, at most
	}{
		{"spent again", "0", 1},
		{"room", "5", 2},
	} {
		t.Run(tt.label, func(t *testing.T) {
			var calls, inFlight, most atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				remaining := tt.remaining
				if calls.Add(1) == 1 {
					remaining = "0"
				} else {
					time.Sleep(50 * time.Millisecond) // long enough for the others to come, if they do
				}
				w.Header().Set("RateLimit-Remaining", remaining)
				w.Header().Set("RateLimit-Reset", "30")
				fmt.Fprint(w, `[]`)
			}))
			defer srv.Close()
			clk := &pacing{now: time.Unix(2_000_000_000, 0)}
			ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
			fetch := pagerhttp.OffsetFetch[Rec](ep)
			if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
				t.Fatal(err)
			}
			for _, err := range fetchAtOnce(fetch, 3) {
				if err != nil {
					t.Error(err)
				}
			}
			if m := most.Load(); m > tt.wantMax {
				t.Errorf("got %d requests in flight at once, want at most %d", m, tt.wantMax)
			}
		})
	}
}

// windowClock is a fake clock for requests that wait at once: a sleep
// wakes at the time it was asked to, and moves the clock there unless
// another sleep has moved it further, as sleepers for one reset wake
// together.
type windowClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *windowClock) endpoint(ep pagerhttp.Endpoint) pagerhttp.Endpoint {
	return pagerhttp.WithClock(ep,
		func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now },
		func(ctx context.Context, d time.Duration) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if t := c.now.Add(d); t.After(c.now) {
				c.now = t
			}
			return ctx.Err()
		})
}

// TestQuotaRoom sends 6 requests at once through a quota of 2 requests
// every 30 s (of a fake clock) that the last answer said was spent.
// After the reset, the probe's answer says there is room for one more
// request: one goes, and the others wait for its answer, which says that
// the quota is spent again, instead of going all at once and collecting
// 429s (on the code before, 4 of the 5 did: under Prefetch, every window
// cost a fetch a retry, and pagecat -prefetch 8 failed at the second
// page, its 5 tries spent).
func TestQuotaRoom(t *testing.T) {
	const quota, window = 2, 30 * time.Second
	start := time.Unix(2_000_000_000, 0)
	clk := &windowClock{now: start}
	var (
		mu      sync.Mutex
		current = -1 // the window of the requests counted in used
		used    int
		over    int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := clk.now // the handler reads the clock the requests wait by
		if w := int(now.Sub(start) / window); w != current {
			current, used = w, 0
			if w == 0 {
				used = quota - 1 // another client's request
			}
		}
		used++
		left, end := quota-used, start.Add(time.Duration(current+1)*window)
		if left < 0 {
			over++
			left = 0
		}
		mu.Unlock()
		w.Header().Set("RateLimit-Remaining", fmt.Sprint(left))
		w.Header().Set("RateLimit-Reset", fmt.Sprint(int(end.Sub(now).Seconds()+0.999)))
		if used > quota {
			w.Header().Set("Retry-After", fmt.Sprint(int(end.Sub(now).Seconds()+0.999)))
			http.Error(w, "over the quota", http.StatusTooManyRequests)
			return
		}
		time.Sleep(20 * time.Millisecond) // long enough for the others to come, if they do
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	for _, err := range fetchAtOnce(fetch, 6) {
		if err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if over != 0 {
		t.Errorf("%d requests over the quota, want none", over)
	}
}

// TestQuotaBare429: a server that answers 429 with neither a Retry-After
// nor quota headers says that the quota is spent, but not until when:
// the requests to come go one at a time, each after the answer before,
// instead of all at once into more 429s.
func TestQuotaBare429(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond) // long enough for the others to come, if they do
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	defer srv.Close()
	clk := &windowClock{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err == nil {
		t.Fatal("got no error, want a 429")
	}
	for _, err := range fetchAtOnce(fetch, 3) {
		var he *pagerhttp.HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusTooManyRequests {
			t.Errorf("got %v, want a 429", err)
		}
	}
	if m := most.Load(); m != 1 {
		t.Errorf("got %d requests in flight at once, want 1", m)
	}
}

// TestQuotaBare429Heals: after a bare 429, a 2xx from a server that has
// never reported its quota in headers lets the requests go at once again.
func TestQuotaBare429Heals(t *testing.T) {
	var calls, inFlight atomic.Int32
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		case 2:
		default:
			if inFlight.Add(1) == 3 {
				close(all)
			}
			select { // the 3 requests are in flight at once, or the test fails
			case <-all:
			case <-time.After(10 * time.Second):
				http.Error(w, "alone", http.StatusBadRequest)
				return
			}
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &windowClock{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err == nil {
		t.Fatal("got no error, want a 429")
	}
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	for _, err := range fetchAtOnce(fetch, 3) {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestQuotaResetValues: the Reset of an answer that says the quota is
// spent, as servers write it: fractions of a second (Discord's epoch
// times, 1470173023.123; delays of 2.5 s) are waited for exactly, where
// they were ignored and the next request sent at once into a 429; what
// is not a time is not waited for.
func TestQuotaResetValues(t *testing.T) {
	start := time.Unix(2_000_000_000, 0)
	for _, tt := range []struct {
		prefix, reset string
		want          []time.Duration
	}{
		{"RateLimit-", "30", []time.Duration{30 * time.Second}},
		{"RateLimit-", "2.5", []time.Duration{2500 * time.Millisecond}},
		{"RateLimit-", "0.25", []time.Duration{250 * time.Millisecond}},
		{"RateLimit-", "7.", []time.Duration{7 * time.Second}},
		{"RateLimit-", "1.0000000005", []time.Duration{time.Second}}, // past nanoseconds: cut
		{"X-RateLimit-", "2000000042", []time.Duration{42 * time.Second}},
		{"X-RateLimit-", "2000000042.123", []time.Duration{42123 * time.Millisecond}},
		{"X-RateLimit-", "1999999990.5", nil}, // in the past: a server's clock behind ours
		{"RateLimit-", "0", nil},
		{"RateLimit-", "0.0", nil},
		{"RateLimit-", "-1.5", nil},
		{"RateLimit-", "-0.5", nil},
		{"RateLimit-", "+5", nil},
		{"RateLimit-", ".5", nil},
		{"RateLimit-", "1.-5", nil},
		{"RateLimit-", "1.+5", nil},
		{"RateLimit-", "1.5.5", nil},
		{"RateLimit-", "1e3", nil},
		{"RateLimit-", "NaN", nil},
		{"RateLimit-", "0x10", nil},
		{"RateLimit-", "soon", nil},
	} {
		t.Run(tt.prefix+tt.reset, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(tt.prefix+"Remaining", "0")
				w.Header().Set(tt.prefix+"Reset", tt.reset)
				fmt.Fprint(w, `[]`)
			}))
			defer srv.Close()
			clk := &pacing{now: start}
			fetch := pagerhttp.OffsetFetch[Rec](clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t)}))
			for range 2 {
				if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want, clk.slept); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuotaNoWaitWaitsForAnswer: with MaxQuotaWait < 0, no request waits
// for a reset, but one still waits for the answer that says whether the
// quota has room for it, instead of failing with a quota "spent until
// 0001-01-01T00:00:00Z (in 0s)".
func TestQuotaNoWaitWaitsForAnswer(t *testing.T) {
	var calls atomic.Int32
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		case 2:
			close(arrived)
			<-release
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &windowClock{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota), MaxQuotaWait: -1})
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err == nil {
		t.Fatal("got no error, want a 429")
	}
	errs := make(chan error, 2)
	go func() {
		_, err := fetch(context.Background(), pager.Request{Limit: 10})
		errs <- err
	}()
	<-arrived // the first request after the 429 is in flight, alone
	go func() {
		_, err := fetch(context.Background(), pager.Request{Limit: 10})
		errs <- err
	}()
	time.Sleep(20 * time.Millisecond) // long enough for the second to fail, if it does
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestQuotaProbeCanceled: the first request after a reset, which the
// others wait for, is canceled before its answer: the next goes in its
// place, instead of waiting for an answer that never comes.
func TestQuotaProbeCanceled(t *testing.T) {
	var calls atomic.Int32
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", "30")
		case 2:
			close(arrived)
			<-r.Context().Done() // never answered
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &windowClock{now: time.Unix(2_000_000_000, 0)}
	ep := clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t), Quota: new(pagerhttp.Quota)})
	fetch := pagerhttp.OffsetFetch[Rec](ep)
	if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	probe := make(chan error)
	go func() {
		_, err := fetch(ctx, pager.Request{Limit: 10})
		probe <- err
	}()
	<-arrived
	next := make(chan error)
	go func() {
		_, err := fetch(context.Background(), pager.Request{Limit: 10})
		next <- err
	}()
	time.Sleep(20 * time.Millisecond) // long enough for the next to wait for the probe's answer
	cancel()
	if err := <-probe; !errors.Is(err, context.Canceled) {
		t.Errorf("probe: got %v, want context.Canceled", err)
	}
	if err := <-next; err != nil {
		t.Errorf("next: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("got %d requests, want 3", n)
	}
}

// TestQuotaHeaderFamilies: a server that sends both families of quota
// headers, one without its Reset, is waited for by the Reset of the other.
func TestQuotaHeaderFamilies(t *testing.T) {
	start := time.Unix(2_000_000_000, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(start.Unix()+20))
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	clk := &pacing{now: start}
	fetch := pagerhttp.OffsetFetch[Rec](clk.endpoint(pagerhttp.Endpoint{URL: srv.URL, Client: client(t)}))
	for range 2 {
		if _, err := fetch(context.Background(), pager.Request{Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]time.Duration{20 * time.Second}, clk.slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// fetchAtOnce calls fetch n times at once, for the first page, and
// returns their errors once all have returned.
func fetchAtOnce(fetch pager.FetchFunc[Rec], n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = fetch(context.Background(), pager.Request{Limit: 10})
		}()
	}
	wg.Wait()
	return errs
}
