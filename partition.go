package pager

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// A Partition is one part of a listing, for an export split among workers
// or run in pieces: an offset range [Start, End), walked by an Offset
// source bounded with [Partition.Options], or a time window [From, To),
// for an API that filters by time, whose fetch function asks for the
// window itself. An offset range has zero From and To; a time window, zero
// Start and End.
//
// Each partition is walked, and checkpointed, on its own: [AllFrom] keeps
// its [Checkpoint], and a [Progress] folds those of all the partitions of
// an export into one value that resumes the whole.
//
// The zero Partition is the empty offset range [0, 0), not the whole
// listing. A Partition marshals to JSON as an object, {"start":1000,"end":2000} or
// {"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}.
type Partition struct {
	Start, End int       // an offset range: the items at positions [Start, End)
	From, To   time.Time // a time window: the items of times [From, To)
}

// OffsetPartitions splits the offsets [0, total) into ranges of size items,
// in order; the last is shorter if size does not divide total. It returns
// none if total is 0. It panics if total < 0 or size < 1.
//
// The total is the listing's when the partitions are made: an export that
// outlives it (items added while it runs) misses the items past it, and an
// offset listing that changes under its walk shifts items between ranges
// ([Dedupe] mends repeats). Prefer time windows, or a watermark (see
// [Since]), for a listing that changes.
func OffsetPartitions(total, size int) []Partition {
	if total < 0 {
		panic(fmt.Sprintf("pager: OffsetPartitions(%d, %d): negative total", total, size))
	}
	if size < 1 {
		panic(fmt.Sprintf("pager: OffsetPartitions(%d, %d): size must be at least 1", total, size))
	}
	parts := make([]Partition, 0, (total+size-1)/size)
	for start := 0; start < total; start += size {
		parts = append(parts, Partition{Start: start, End: start + min(size, total-start)})
	}
	return parts
}

// TimePartitions splits the times [from, to) into windows of step, in
// order; the last is shorter if step does not divide to − from. It returns
// none if from equals to. The windows' times are in UTC, without a
// monotonic clock reading, so that partitions made again from the same
// times are equal. It panics if to is before from or step ≤ 0.
func TimePartitions(from, to time.Time, step time.Duration) []Partition {
	if to.Before(from) {
		panic(fmt.Sprintf("pager: TimePartitions from %s to %s: to is before from", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano)))
	}
	if step <= 0 {
		panic(fmt.Sprintf("pager: TimePartitions with step %v: must be positive", step))
	}
	from, to = from.UTC().Round(0), to.UTC().Round(0)
	var parts []Partition
	for t := from; t.Before(to); {
		next := t.Add(step)
		if next.After(to) || next.Before(t) { // past to, or overflowed
			next = to
		}
		parts = append(parts, Partition{From: t, To: next})
		t = next
	}
	return parts
}

// IsTime reports whether p is a time window rather than an offset range.
func (p Partition) IsTime() bool { return !p.From.IsZero() || !p.To.IsZero() }

// Options returns the options that bound an Offset walk to p's range,
// [StartOffset](p.Start) and [EndOffset](p.End), or nil for a time window,
// whose fetch function filters by From and To itself:
//
//	src := pager.Offset(fetch, append(p.Options(), pager.PageSize(500))...)
//	for item, err := range pager.AllFrom(ctx, src, &cp) { … }
//
// To resume the partition at a checkpoint, give [Resume] after these
// options, or walk it with [AllFrom], which keeps the bound. Options panics
// if p is an offset range with Start < 0 or End < Start.
func (p Partition) Options() []Option {
	if p.IsTime() {
		return nil
	}
	if p.Start < 0 || p.End < p.Start {
		panic(fmt.Sprintf("pager: partition %s: not a range of offsets", p))
	}
	return []Option{StartOffset(p.Start), EndOffset(p.End)}
}

// String returns a stable key for p, fit for a map or a log line:
// "offsets 1000-2000", or "time 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"
// (RFC 3339 in UTC, with fractions of a second where there are any).
func (p Partition) String() string {
	if p.IsTime() {
		return "time " + p.From.UTC().Format(time.RFC3339Nano) + "/" + p.To.UTC().Format(time.RFC3339Nano)
	}
	return "offsets " + strconv.Itoa(p.Start) + "-" + strconv.Itoa(p.End)
}

// partitionJSON is a Partition's JSON form: one kind of bounds or the other.
type partitionJSON struct {
	Start *int       `json:"start,omitempty"`
	End   *int       `json:"end,omitempty"`
	From  *time.Time `json:"from,omitempty"`
	To    *time.Time `json:"to,omitempty"`
}

// MarshalJSON implements [json.Marshaler].
func (p Partition) MarshalJSON() ([]byte, error) {
	if p.IsTime() {
		from, to := p.From.UTC(), p.To.UTC()
		return json.Marshal(partitionJSON{From: &from, To: &to})
	}
	return json.Marshal(partitionJSON{Start: &p.Start, End: &p.End})
}

// UnmarshalJSON implements [json.Unmarshaler]. It refuses an object with
// both kinds of bounds, or neither, or bounds out of order.
func (p *Partition) UnmarshalJSON(data []byte) error {
	var j partitionJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("pager: partition: %w", err)
	}
	offsets, times := j.Start != nil && j.End != nil, j.From != nil && j.To != nil
	var n Partition
	switch {
	case offsets && j.From == nil && j.To == nil:
		n.Start, n.End = *j.Start, *j.End
		if n.Start < 0 || n.End < n.Start {
			return fmt.Errorf("pager: partition %s: offsets out of order", data)
		}
	case times && j.Start == nil && j.End == nil:
		n.From, n.To = j.From.UTC(), j.To.UTC()
		if n.To.Before(n.From) || !n.IsTime() {
			return fmt.Errorf("pager: partition %s: times out of order", data)
		}
	default:
		return fmt.Errorf("pager: partition %s: want start and end, or from and to", data)
	}
	*p = n
	return nil
}
