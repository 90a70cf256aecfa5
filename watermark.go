package pager

import (
	"cmp"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
)

// A Watermark is how far an incremental export has got through a listing,
// by a field of its items that grows as items are added or updated — an
// updated_at, a sequence number, an id: Value is the greatest value of the
// field among the items delivered, and Keys the keys of the delivered items
// whose value is exactly Value. The next run delivers only the items past
// the watermark: those of a greater value, and those of an equal value
// whose key is not in Keys. So an item that comes in at the watermark's
// value after a run — in the same second as the last one it delivered — is
// neither lost nor delivered twice.
//
// The zero Watermark (a zero Value and no Keys) is no watermark: every item
// is past it. A Watermark marshals to JSON as {"value":…,"keys":[…]}; the
// order of Keys is not significant.
//
// A watermark relies on the field growing: an item added or updated with a
// value below the watermark of a run already committed (a clock behind the
// others, a time set by the client) is never seen by a later run, and an
// item written twice at one value is one version to it. Keys holds a key
// for each item delivered at the greatest value: a field of coarse values
// that many items share (a date, a bulk import's time) makes it long.
// A watermark sees items, not their absence: deletions need the API's
// change feed or tombstones.
//
// V is any ordered type. A time field is a number — t.UnixMicro(), say —
// since time.Time orders by its Compare method, not by <; or RFC 3339 text
// of one fixed layout in UTC, which sorts as the times do (a mix does not:
// "…:00Z" sorts after "…:00.5Z").
type Watermark[V cmp.Ordered] struct {
	Value V        `json:"value"`
	Keys  []string `json:"keys"`
}

// MarshalJSON implements [json.Marshaler]: {"value":…,"keys":[…]}, with
// "keys":[] rather than null when there are none.
func (w Watermark[V]) MarshalJSON() ([]byte, error) {
	keys := w.Keys
	if keys == nil {
		keys = []string{}
	}
	return json.Marshal(struct {
		Value V        `json:"value"`
		Keys  []string `json:"keys"`
	}{w.Value, keys})
}

// IsZero reports whether w is the zero Watermark, which every item is past.
func (w Watermark[V]) IsZero() bool {
	var zero V
	return w.Value == zero && len(w.Keys) == 0
}

// Past reports whether an item of the given value and key is past w: its
// value is greater than w.Value, or equal to it with a key not in w.Keys.
// Every item is past the zero Watermark.
func (w Watermark[V]) Past(value V, key string) bool {
	if w.IsZero() {
		return true
	}
	switch cmp.Compare(value, w.Value) {
	case 1:
		return true
	case 0:
		return !slices.Contains(w.Keys, key)
	}
	return false
}

// pastFunc returns [Watermark.Past] with a set of w.Keys made once, for a
// watermark that many items share the value of.
func (w Watermark[V]) pastFunc() func(V, string) bool {
	if len(w.Keys) < 8 {
		return w.Past
	}
	keys := make(map[string]bool, len(w.Keys))
	for _, k := range w.Keys {
		keys[k] = true
	}
	return func(value V, key string) bool {
		c := cmp.Compare(value, w.Value)
		return c > 0 || c == 0 && !keys[key]
	}
}

// Max returns the greater of w and o: the one of the greater Value, or if
// their Values are equal, that Value with the keys of both. It merges the
// watermarks of the partitions of a run into the run's; the zero Watermark
// is less than any other. The result shares no memory with w or o.
func (w Watermark[V]) Max(o Watermark[V]) Watermark[V] {
	switch {
	case o.IsZero():
		return w.clone()
	case w.IsZero():
		return o.clone()
	}
	switch cmp.Compare(w.Value, o.Value) {
	case 1:
		return w.clone()
	case -1:
		return o.clone()
	}
	keys := slices.Concat(w.Keys, o.Keys)
	slices.Sort(keys)
	return Watermark[V]{Value: w.Value, Keys: slices.Compact(keys)}
}

func (w Watermark[V]) clone() Watermark[V] {
	return Watermark[V]{Value: w.Value, Keys: slices.Clone(w.Keys)}
}

// Since returns the items of seq past mark (see [Watermark.Past]), for an
// incremental run: the next one walks only what this one did not deliver.
// value and key return an item's watermark field and a key that tells it
// from the others (an id). When the range starts, Since raises *next to
// mark; before it yields each item, it folds the item into *next, which
// then holds the watermark of mark and the items delivered. Start *next at
// the zero Watermark, or, resuming a partition, at the one saved for it
// ([MarkAt]); save it with the walk's checkpoint once the item is
// processed ([SaveMark]), and commit it as the next run's mark once every
// partition of the run has finished ([NextMark]). Committing it sooner
// would lose the items below it in the partitions not yet walked.
//
// Since walks all of seq: pair it with a fetch that asks the server for
// the items from mark.Value on (an inclusive filter, ?updated_since=
// mark.Value, so that the items at the watermark's value come and the keys
// drop those already delivered), or use [SinceDescending] on a listing
// sorted by the field, greatest first. An offset walk of a listing sorted
// oldest first skips an item whenever one it has passed is updated (moved
// to the end) during the run, and the watermark, raised by the updated
// one, passes the skipped item for good: walk such a listing by keyset
// (a [Token] cursor of the last value and key, with the items written
// since the run started left for the next run), or newest first. Errors
// pass through; the first ends the sequence.
//
// Since panics if value, key or next is nil.
func Since[T any, V cmp.Ordered](seq iter.Seq2[T, error], mark Watermark[V], value func(T) V, key func(T) string, next *Watermark[V]) iter.Seq2[T, error] {
	return since(seq, mark, value, key, next, false)
}

// SinceDescending is [Since] for a listing sorted by the watermark field,
// greatest first (?sort=-updated_at): it ends the walk at the first item
// below mark.Value, so that no page past the watermark is fetched. (Under
// [Prefetch], the pages already fetched ahead of the loop may be.) Items
// of equal values may come in any order among themselves.
//
// SinceDescending panics if value, key or next is nil.
func SinceDescending[T any, V cmp.Ordered](seq iter.Seq2[T, error], mark Watermark[V], value func(T) V, key func(T) string, next *Watermark[V]) iter.Seq2[T, error] {
	return since(seq, mark, value, key, next, true)
}

func since[T any, V cmp.Ordered](seq iter.Seq2[T, error], mark Watermark[V], value func(T) V, key func(T) string, next *Watermark[V], descending bool) iter.Seq2[T, error] {
	if value == nil || key == nil || next == nil {
		panic("pager: Since or SinceDescending with a nil value func, key func or *Watermark")
	}
	return func(yield func(T, error) bool) {
		*next = next.Max(mark) // so that a run that delivers nothing keeps mark
		past := mark.pastFunc()
		var at keySet[V] // the keys of *next, once an item has raised it
		for v, err := range seq {
			if err != nil {
				yield(v, err)
				return
			}
			val, k := value(v), key(v)
			if !past(val, k) {
				if descending && !mark.IsZero() && cmp.Less(val, mark.Value) {
					return
				}
				continue
			}
			at.fold(next, val, k)
			if !yield(v, nil) {
				return
			}
		}
	}
}

// keySet folds items into a Watermark. It never changes the elements of
// a Keys slice it did not make, which the caller's copies of the watermark
// may share; and it keeps a set of the keys beside them once there are
// many.
type keySet[V cmp.Ordered] struct {
	owned bool            // next.Keys was made here: append to it
	set   map[string]bool // next.Keys, once there are many; else nil

	// chunk holds the one key of each watermark an item raised, handed
	// out one at a time, with no room to append: an allocation per 64
	// items rather than per item, in a listing of growing values.
	chunk []string
}

// fold raises *next to take in an item of the given value and key.
func (s *keySet[V]) fold(next *Watermark[V], val V, key string) {
	switch {
	case next.IsZero() || cmp.Less(next.Value, val):
		if len(s.chunk) == cap(s.chunk) {
			s.chunk = make([]string, 0, 64)
		}
		s.chunk = append(s.chunk, key)
		i := len(s.chunk) - 1
		next.Value, next.Keys = val, s.chunk[i:i+1:i+1]
		s.owned, s.set = true, nil
		return
	case cmp.Less(val, next.Value) || s.has(next.Keys, key):
		return
	}
	if !s.owned {
		next.Keys = slices.Clip(next.Keys) // append copies them
		s.owned = true
	}
	next.Keys = append(next.Keys, key)
	if s.set != nil {
		s.set[key] = true
	}
}

// has reports whether key is one of keys, the Keys of the watermark being
// folded into.
func (s *keySet[V]) has(keys []string, key string) bool {
	if s.set == nil && len(keys) >= 16 {
		s.set = make(map[string]bool, 2*len(keys))
		for _, k := range keys {
			s.set[k] = true
		}
	}
	if s.set != nil {
		return s.set[key]
	}
	return slices.Contains(keys, key)
}

// SaveMark is [Progress.Save] for an incremental run: with partition p's
// checkpoint, it records next, the watermark of the items p delivered so
// far (see [Since]), so that the run's new watermark takes them in even
// if p is resumed in another process. It panics if p is not in the plan.
//
// SaveMark costs the same whatever the length of next.Keys: it keeps next
// itself, and the Progress encodes it when it is marshaled. Do not change
// the elements of next.Keys afterwards (Since never changes those of a
// watermark it folds items into; it only appends).
func SaveMark[V cmp.Ordered](pr *Progress, p Partition, cp Checkpoint, next Watermark[V]) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	s := pr.state(p, "SaveMark")
	s.Checkpoint, s.Mark, s.mark = cp, nil, next
}

// MarkAt returns the watermark [SaveMark] saved for partition p, or the
// zero Watermark if none was: where to start the *next of a resumed
// partition's [Since]. It returns an error if the saved watermark does not
// decode as a Watermark[V], and panics if p is not in the plan.
func MarkAt[V cmp.Ordered](pr *Progress, p Partition) (Watermark[V], error) {
	pr.mu.Lock()
	s := pr.state(p, "MarkAt")
	data, saved := s.Mark, s.mark
	pr.mu.Unlock()
	var w Watermark[V]
	if saved != nil {
		if w, ok := saved.(Watermark[V]); ok {
			return w.clone(), nil
		}
		var err error // saved as another type: convert it as JSON would
		if data, err = json.Marshal(saved); err != nil {
			return Watermark[V]{}, fmt.Errorf("pager: watermark of partition %s: %w", p, err)
		}
	}
	if data == nil {
		return w, nil
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return Watermark[V]{}, fmt.Errorf("pager: watermark of partition %s: %w", p, err)
	}
	return w, nil
}

// NextMark returns the watermark to commit once every partition of pr has
// finished: mark, the run's, raised by the watermark each partition saved
// with [SaveMark]. It returns an error wrapping [ErrNotDone] if a partition
// has not finished — committing then would lose the items below the new
// watermark in the partitions not yet walked — or if a saved watermark
// does not decode as a Watermark[V].
func NextMark[V cmp.Ordered](pr *Progress, mark Watermark[V]) (Watermark[V], error) {
	if left := pr.Remaining(); len(left) > 0 {
		return Watermark[V]{}, fmt.Errorf("%w: %d left, the first %s", ErrNotDone, len(left), left[0])
	}
	next := mark.clone()
	for _, p := range pr.Partitions() {
		w, err := MarkAt[V](pr, p)
		if err != nil {
			return Watermark[V]{}, err
		}
		next = next.Max(w)
	}
	return next, nil
}
