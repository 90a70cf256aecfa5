package main

import (
	"fmt"
	"io"
	"time"

	"github.com/pagerseq/pager/internal/apisim"
)

// demoPaths are the simulator's endpoints for each style.
var demoPaths = map[string]string{
	"":       apisim.Runs,
	"offset": apisim.Runs,
	"token":  apisim.Objects,
	"page":   apisim.Events,
	"link":   apisim.Repos,
	"ndjson": apisim.Stream,
}

// startDemo starts the API simulator on 127.0.0.1, points o at it, and
// returns the function that stops it.
func startDemo(o *options, stderr io.Writer) (func(), error) {
	s, err := apisim.New(apisim.Config{
		N:    1000,
		Seed: 2026,
		Faults: apisim.Faults{
			Latency: 2 * time.Millisecond, Jitter: 8 * time.Millisecond,
			TooMany: 0.04, RetryAfter: time.Second, // now and then a 429 with Retry-After: 1
			Short: 0.1,
		},
	})
	if err != nil {
		return nil, err
	}
	o.url = s.URL + demoPaths[o.style]
	if o.style == "ndjson" && o.offsetParam == "" {
		o.offsetParam = "offset" // the simulator's stream starts where it is told
	}
	fmt.Fprintf(stderr, "pagecat: demo API on %s (%s, %s, %s, %s, %s, %s, %s); exporting %s\n",
		s.URL, apisim.Runs, apisim.Issues, apisim.Logs, apisim.Objects, apisim.Events, apisim.Repos, apisim.Stream, o.url)
	return s.Close, nil
}
