// Package pagertemporal runs long pager exports on Temporal: a walk inside
// an activity that heartbeats its checkpoint and resumes from it when the
// activity is retried, and a workflow that exports the partitions of a
// listing as activities, a few at a time, and returns the watermark that
// the next run, started by a Schedule, starts from.
//
// It is a module of its own, so that importers of pager do not get the
// Temporal SDK; it needs the Go version the SDK needs.
//
// # Walking in an activity
//
// [All] is [pager.AllFrom] for an activity: range over it as over
// pager.All. It records the [pager.Checkpoint] after the items the loop
// processed as the activity's heartbeat, and a retried attempt starts where
// the last heartbeat says. [Keep] adds a value of the loop's own to the
// heartbeat — the watermark of [pager.Since], a count — so that it takes in
// the items of earlier attempts.
//
// # Delivery: at least once, and how many again
//
// An attempt that fails — a page that failed past its retries, a sink that
// returned an error — is resumed with nothing repeated, or at most the
// items of one [HeartbeatEvery] interval when the loop returned the error
// itself. A worker that dies — SIGKILL, a lost machine, a deploy that does
// not wait — is noticed when its HeartbeatTimeout passes without a
// heartbeat, and the next attempt repeats the items processed since the
// last heartbeat that reached the server: the SDK sends one at most every
// 0.8 × HeartbeatTimeout, so about 0.8 × HeartbeatTimeout (plus the
// HeartbeatEvery interval) of items. A HeartbeatTimeout of 30s at 2,000
// items/s repeats up to some 50,000 items after a kill; 10s, some 18,000.
//
// So the sink must be idempotent: writing an item twice leaves what writing
// it once does. The usual ways:
//
//   - an upsert keyed by the item's id (INSERT … ON CONFLICT (id) DO UPDATE,
//     a PUT to a key-value store, a document written under its id);
//   - for an append-only sink, a key column with a unique index and
//     INSERT … ON CONFLICT DO NOTHING, or files named by partition and
//     checkpoint, written whole and renamed into place, so that a repeated
//     write replaces a file instead of adding one;
//   - for a sink that cannot dedupe, the item's id and the checkpoint kept in
//     the same transaction as the write, and the walk resumed from the
//     sink's checkpoint rather than the heartbeat's.
//
// # Exporting in partitions
//
// [Export] is a workflow: it exports the partitions of a [Run] (given, or
// made by a planning activity) with the activity the Run names, at most
// Run.Parallel at a time, and returns the watermark of all of them. Each
// partition's activity gets a [Task] — the partition and the run's
// watermark — and returns the watermark of the items it delivered. The new
// watermark is returned, and so committed, only once every partition has
// finished; a run that fails commits nothing. A Temporal Schedule that
// starts Export runs it incrementally: each run starts from the result of
// the last one that completed.
package pagertemporal
