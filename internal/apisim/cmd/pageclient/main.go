// Command pageclient walks an apisim server's /runs listing, in a process
// of its own so that its CPU time is the client's alone, for the
// "OffsetFetch against the hand loop" benchmark of BENCHMARKS.md
// (bench.sh beside it runs it). -impl says how:
//
//   - hand: the loop one writes with net/http and encoding/json, asking
//     for ?limit=&offset= until the total is reached or a page is empty;
//   - pager: pager.All over pager.Offset(pagerhttp.OffsetFetch), with
//     Prefetch if -prefetch is above 0.
//
// -items says what is done with each item: raw decodes the items as
// json.RawMessage and writes each as a line to stdout (what pagecat does),
// typed decodes them into a struct and sums their ids. It prints the
// number of items, and the sum of the ids, to stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// Record is an apisim record.
type Record struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

func main() {
	impl := flag.String("impl", "hand", "hand or pager")
	items := flag.String("items", "raw", "raw (written as lines to stdout) or typed (ids summed)")
	limit := flag.Int("limit", 1000, "page size")
	prefetch := flag.Int("prefetch", 0, "pager: pages fetched ahead (pager.Prefetch); 0: none")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pageclient [flags] URL")
		os.Exit(2)
	}
	url := flag.Arg(0)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var n, sum int
	var err error
	switch *impl + "/" + *items {
	case "hand/raw":
		n, err = handRaw(url, *limit, out)
	case "hand/typed":
		n, sum, err = handTyped(url, *limit)
	case "pager/raw":
		n, err = pagerRaw(url, *limit, *prefetch, out)
	case "pager/typed":
		n, sum, err = pagerTyped(url, *limit, *prefetch)
	default:
		err = fmt.Errorf("no -impl %q with -items %q", *impl, *items)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pageclient:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%d items, ids sum to %d\n", n, sum)
}

// getPage is the hand loop's request: GET url?limit=&offset=, decoded into
// page.
func getPage(url string, limit, offset int, page any) error {
	resp, err := http.Get(url + "?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(offset))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("offset %d: %s", offset, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(page); err != nil {
		return fmt.Errorf("offset %d: %w", offset, err)
	}
	_, err = io.Copy(io.Discard, resp.Body) // to reuse the connection
	return err
}

func handRaw(url string, limit int, out *bufio.Writer) (int, error) {
	n := 0
	for {
		var page struct {
			Runs  []json.RawMessage `json:"runs"`
			Total int               `json:"total"`
		}
		if err := getPage(url, limit, n, &page); err != nil {
			return n, err
		}
		for _, item := range page.Runs {
			out.Write(item)
			out.WriteByte('\n')
		}
		n += len(page.Runs)
		if len(page.Runs) == 0 || n >= page.Total {
			return n, nil
		}
	}
}

func handTyped(url string, limit int) (n, sum int, err error) {
	for {
		var page struct {
			Runs  []Record `json:"runs"`
			Total int      `json:"total"`
		}
		if err := getPage(url, limit, n, &page); err != nil {
			return n, sum, err
		}
		for _, r := range page.Runs {
			sum += r.ID
		}
		n += len(page.Runs)
		if len(page.Runs) == 0 || n >= page.Total {
			return n, sum, nil
		}
	}
}

func source[T any](url string, limit, prefetch int) pager.Source[T] {
	ep := pagerhttp.Endpoint{URL: url, Items: "runs"}
	src := pager.Offset(pagerhttp.OffsetFetch[T](ep), pager.PageSize(limit))
	if prefetch > 0 {
		src = pager.Prefetch(src, prefetch)
	}
	return src
}

func pagerRaw(url string, limit, prefetch int, out *bufio.Writer) (n int, err error) {
	for item, err := range pager.All(context.Background(), source[json.RawMessage](url, limit, prefetch)) {
		if err != nil {
			return n, err
		}
		out.Write(item)
		out.WriteByte('\n')
		n++
	}
	return n, nil
}

func pagerTyped(url string, limit, prefetch int) (n, sum int, err error) {
	for r, err := range pager.All(context.Background(), source[Record](url, limit, prefetch)) {
		if err != nil {
			return n, sum, err
		}
		sum += r.ID
		n++
	}
	return n, sum, nil
}
