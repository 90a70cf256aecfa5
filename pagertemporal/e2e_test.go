package pagertemporal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/internal/apisim"
	"github.com/pagerseq/pager/pagerhttp"
	"github.com/pagerseq/pager/pagertemporal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The end-to-end test runs against a Temporal server named by
// $PAGERTEMPORAL_SERVER (host:port); e2e.sh starts a dev server and sets it.
// Without it the test is skipped.
var (
	e2eRecords   = flag.Int("e2e.records", 200000, "records in the listing of the end-to-end test")
	e2eLatency   = flag.Duration("e2e.latency", 5*time.Millisecond, "latency of each page of the API in the end-to-end test")
	e2ePageSize  = flag.Int("e2e.pagesize", 200, "page size of the end-to-end test's walks")
	e2eHeartbeat = flag.Duration("e2e.heartbeat", 2*time.Second, "HeartbeatTimeout of the end-to-end test's activities")
	e2eKillAt    = flag.Float64("e2e.killat", 0.3, "fraction of the records delivered when the worker is killed")
)

// e2eWorkerEnv, when set in the environment of this test binary, makes
// TestE2EWorker run a worker with the configuration it holds (JSON).
const e2eWorkerEnv = "PAGERTEMPORAL_E2E_WORKER"

type e2eConfig struct {
	Server, TaskQueue, API, Sink string
	PageSize                     int
}

// TestKilledWorker exports a listing of apisim in 4 partitions, 2 at a
// time, kills the worker with SIGKILL once some of it was delivered, and
// starts another: the export finishes with every record delivered, and
// those delivered twice are within the window that HeartbeatTimeout sets.
// It logs the figures the README quotes: items/s, the time from the kill
// to the first item the new worker delivered, and the repeats.
func TestKilledWorker(t *testing.T) {
	server := os.Getenv("PAGERTEMPORAL_SERVER")
	if server == "" {
		t.Skip("no Temporal server: set PAGERTEMPORAL_SERVER=host:port, or run e2e.sh")
	}
	n, parallel, hb := *e2eRecords, 2, *e2eHeartbeat
	api, err := apisim.New(apisim.Config{N: n, Seed: 15, Faults: apisim.Faults{Latency: *e2eLatency}})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()

	c, err := client.Dial(client.Options{HostPort: server, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	dir := t.TempDir()
	cfg := e2eConfig{
		Server:    server,
		TaskQueue: fmt.Sprintf("pagertemporal-e2e-%d", rand.Int64()),
		API:       api.URL,
		Sink:      filepath.Join(dir, "sink"),
		PageSize:  *e2ePageSize,
	}
	first := startWorker(t, cfg, filepath.Join(dir, "worker1.log"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: cfg.TaskQueue, TaskQueue: cfg.TaskQueue}, "Export",
		pagertemporal.Run[int]{
			Activity:         "ExportRecords",
			Partitions:       pager.OffsetPartitions(n, n/4),
			Parallel:         parallel,
			HeartbeatTimeout: hb,
			Retry:            &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumInterval: time.Second},
		})
	if err != nil {
		t.Fatal(err)
	}

	// Watch the sink; kill the worker once killAt of the records came.
	sink := &sinkWatch{path: cfg.Sink}
	started := sink.waitFor(t, func(s sinkState) bool { return s.lines > 0 })
	before := sink.waitFor(t, func(s sinkState) bool { return s.lines >= int(float64(n)**e2eKillAt) })
	recent := sink.rate(time.Second) // items/s just before the kill
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = first.Wait()
	if !sink.midPartition(t, n/4) {
		t.Fatalf("the worker was killed between partitions, at %d items: choose another -e2e.killat", before.lines)
	}
	second := startWorker(t, cfg, filepath.Join(dir, "worker2.log"))
	defer func() {
		_ = second.Process.Kill()
		_ = second.Wait()
	}()
	pid2 := strconv.Itoa(second.Process.Pid)
	resumed := sink.waitFor(t, func(s sinkState) bool { return s.lastPID == pid2 })

	var mark pager.Watermark[int]
	if err := run.Get(ctx, &mark); err != nil {
		t.Fatalf("export: %v\nworker logs in %s", err, dir)
	}
	done := time.Now()

	counts, repeats := sink.counts(t)
	for id := 1; id <= n; id++ {
		if counts[id] == 0 {
			t.Errorf("record %d: missing", id)
		}
	}
	if want := (pager.Watermark[int]{Value: n, Keys: []string{strconv.Itoa(n)}}); !equalMark(mark, want) {
		t.Errorf("watermark %+v, want %+v", mark, want)
	}
	// The window: each partition in flight repeats what it processed
	// after its last heartbeat that reached the server, at most 0.8 ×
	// HeartbeatTimeout plus All's own interval (a tenth of it).
	window := 0.8*hb.Seconds() + hb.Seconds()/10
	bound := int(float64(parallel) * (1.5*window*recent + float64(cfg.PageSize)))
	t.Logf("%d records in %d partitions, %d at a time, HeartbeatTimeout %v, API latency %v a page of %d",
		n, 4, parallel, hb, *e2eLatency, cfg.PageSize)
	t.Logf("before the kill: %.0f items/s per worker (%.0f in the last second), %d items in %v",
		float64(before.lines)/before.at.Sub(started.at).Seconds(), recent, before.lines, before.at.Sub(started.at).Round(time.Millisecond))
	t.Logf("killed at %d items; the new worker delivered its first %v after the kill", before.lines, resumed.at.Sub(killed).Round(time.Millisecond))
	t.Logf("repeats: %d (%.1f%% of the records); window %.1fs × %.0f items/s × %d partitions = %.0f; bound checked %d",
		repeats, 100*float64(repeats)/float64(n), window, recent, parallel, window*recent*float64(parallel), bound)
	t.Logf("export done %v after the kill; %v in all", done.Sub(killed).Round(time.Millisecond), done.Sub(started.at).Round(time.Millisecond))
	if repeats > bound {
		t.Errorf("%d records delivered again, more than the window allows (%d)", repeats, bound)
	}
}

// TestE2EWorker is the worker process of TestKilledWorker: the test binary
// run again with $PAGERTEMPORAL_E2E_WORKER set. It runs until killed.
func TestE2EWorker(t *testing.T) {
	spec := os.Getenv(e2eWorkerEnv)
	if spec == "" {
		t.Skip("run by TestKilledWorker")
	}
	var cfg e2eConfig
	if err := jsonUnmarshal(spec, &cfg); err != nil {
		t.Fatal(err)
	}
	sink, err := os.OpenFile(cfg.Sink, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: cfg.Server, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := &e2eActivities{cfg: cfg, sink: sink, pid: strconv.Itoa(os.Getpid())}
	w := worker.New(c, cfg.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(pagertemporal.Export[int], workflow.RegisterOptions{Name: "Export"})
	w.RegisterActivityWithOptions(a.ExportRecords, activity.RegisterOptions{Name: "ExportRecords"})
	if err := w.Run(worker.InterruptCh()); err != nil {
		t.Fatal(err)
	}
}

type e2eActivities struct {
	cfg  e2eConfig
	pid  string
	mu   sync.Mutex
	sink *os.File
}

// ExportRecords appends "pid id" for each record of its partition to the
// sink, one write each, so that a record written is on file when the walk
// asks for the next, however the process ends.
func (a *e2eActivities) ExportRecords(ctx context.Context, t pagertemporal.Task[int]) (pager.Watermark[int], error) {
	fetch := pagerhttp.OffsetFetch[apisim.Record](pagerhttp.Endpoint{URL: a.cfg.API + apisim.Runs, Items: "runs"})
	src := pager.Offset(fetch, append(t.Partition.Options(), pager.PageSize(a.cfg.PageSize), pager.MaxPageSize(1000),
		pager.Retry(pager.RetryPolicy{Attempts: 5, MinDelay: 10 * time.Millisecond, MaxDelay: time.Second}))...)
	next := t.Since
	items := pagertemporal.All(ctx, src, pagertemporal.Keep(&next))
	line := make([]byte, 0, 32)
	for rec, err := range pager.Since(items, t.Since, func(r apisim.Record) int { return r.ID },
		func(r apisim.Record) string { return strconv.Itoa(r.ID) }, &next) {
		if err != nil {
			return next, err
		}
		line = append(append(append(append(line[:0], a.pid...), ' '), strconv.Itoa(rec.ID)...), '\n')
		a.mu.Lock()
		_, err := a.sink.Write(line)
		a.mu.Unlock()
		if err != nil {
			return next, err
		}
	}
	return next, nil
}

func startWorker(t *testing.T, cfg e2eConfig, logPath string) *exec.Cmd {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestE2EWorker$", "-test.v")
	cmd.Env = append(os.Environ(), e2eWorkerEnv+"="+jsonMarshal(cfg))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// sinkWatch follows the sink file as the workers write it.
type sinkWatch struct {
	path    string
	samples []sinkState
}

type sinkState struct {
	at      time.Time
	lines   int
	lastPID string
}

func (w *sinkWatch) read() sinkState {
	s := sinkState{at: time.Now()}
	data, _ := os.ReadFile(w.path)
	s.lines = strings.Count(string(data), "\n")
	if i := strings.LastIndexByte(strings.TrimSuffix(string(data), "\n"), '\n'); s.lines > 0 {
		last := string(data[i+1:])
		s.lastPID, _, _ = strings.Cut(last, " ")
	}
	return s
}

// waitFor polls the sink until ok, for at most 5 minutes.
func (w *sinkWatch) waitFor(t *testing.T, ok func(sinkState) bool) sinkState {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s := w.read()
		w.samples = append(w.samples, s)
		if ok(s) {
			return s
		}
	}
	t.Fatalf("the sink did not get there in 5 minutes: %+v", w.samples[len(w.samples)-1])
	return sinkState{}
}

// rate returns the items/s of the last d of samples.
func (w *sinkWatch) rate(d time.Duration) float64 {
	last := w.samples[len(w.samples)-1]
	for _, s := range w.samples {
		if last.at.Sub(s.at) <= d && s.at.Before(last.at) {
			return float64(last.lines-s.lines) / last.at.Sub(s.at).Seconds()
		}
	}
	return 0
}

// midPartition reports whether a partition of the given size had some of
// its records written, not all.
func (w *sinkWatch) midPartition(t *testing.T, size int) bool {
	counts, _ := w.counts(t)
	written := map[int]int{} // partition → records written
	for id := range counts {
		written[(id-1)/size]++
	}
	for _, c := range written {
		if c < size {
			return true
		}
	}
	return false
}

// counts returns how many times each id was written, and how many writes
// were repeats.
func (w *sinkWatch) counts(t *testing.T) (map[int]int, int) {
	t.Helper()
	f, err := os.Open(w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts, repeats := map[int]int{}, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, idText, _ := strings.Cut(sc.Text(), " ")
		id, err := strconv.Atoi(idText)
		if err != nil {
			t.Fatalf("sink line %q", sc.Text())
		}
		if counts[id]++; counts[id] > 1 {
			repeats++
		}
	}
	return counts, repeats
}

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

func jsonMarshal(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
