// Command apisim serves an apisim listing on 127.0.0.1 until it is
// interrupted, for benchmarks that run clients in processes of their own
// (BENCHMARKS.md, "Exports over HTTP"). It prints the server's URL.
//
//	go run ./internal/apisim/cmd/apisim -n 1000000 [-latency 5ms] [-quota 10 -quota-window 2s]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pagerseq/pager/internal/apisim"
)

func main() {
	n := flag.Int("n", 1_000_000, "records in the listing")
	seed := flag.Uint64("seed", 1, "seed of the records' contents")
	latency := flag.Duration("latency", 0, "added to every response")
	quota := flag.Int("quota", 0, "requests allowed per -quota-window, announced in rate-limit headers; 0: no quota")
	window := flag.Duration("quota-window", time.Second, "the window of -quota")
	headers := flag.String("quota-headers", "RateLimit", "the quota's headers: RateLimit (reset in seconds from now) or X-RateLimit (GitHub's, seconds since 1970)")
	flag.Parse()
	s, err := apisim.New(apisim.Config{N: *n, Seed: *seed, Faults: apisim.Faults{
		Latency: *latency, Quota: *quota, QuotaWindow: *window, QuotaHeaders: *headers,
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(s.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.Close()
}
