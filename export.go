package pager

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// ErrNotDone reports that an export's watermark was asked for before every
// partition finished; see [NextMark].
var ErrNotDone = errors.New("pager: not every partition has finished")

// Progress is where an export split into partitions stands: a plan (the
// partitions, in order) and, for each partition, the [Checkpoint] to
// resume it from, whether it finished, and — for an incremental run — the
// watermark of the items it delivered (see [SaveMark]). It folds the
// checkpoints of all the partitions into one value that resumes the whole
// export: save it (as JSON) where the export's output is committed, and
// an export started again from the saved value walks only what is left.
//
// Make one with [NewProgress]. The zero Progress has an empty plan, and
// is done; recording a partition that is not in the plan panics, so that
// an export whose progress lost its plan is not taken for a finished one.
// A Progress is safe for concurrent use by the partitions' walks; it must
// not be copied after first use. Marshal it as a *Progress.
type Progress struct {
	mu    sync.Mutex
	parts []partState
	index map[string]int // Partition.String() → position in parts
}

// partState is one partition's entry in a Progress, and its JSON form.
type partState struct {
	Partition  Partition       `json:"partition"`
	Checkpoint Checkpoint      `json:"checkpoint"`
	Done       bool            `json:"done,omitempty"`
	Mark       json.RawMessage `json:"mark,omitempty"` // SaveMark's watermark, as JSON, once encoded

	// mark is the Watermark[V] SaveMark last recorded, not yet encoded
	// into Mark: SaveMark is called after items, and encoding a
	// watermark costs the length of its Keys.
	mark any
}

// progressJSON is a Progress's JSON form.
type progressJSON struct {
	Partitions []partState `json:"partitions"`
}

// NewProgress returns the progress of an export of parts, none of them
// started. It panics if two of parts are the same partition.
func NewProgress(parts []Partition) *Progress {
	pr := &Progress{}
	states := make([]partState, len(parts))
	for i, p := range parts {
		states[i].Partition = p
	}
	if err := pr.set(states); err != nil {
		panic(err.Error())
	}
	return pr
}

// set makes states the progress, or returns an error if a partition is in
// it twice.
func (pr *Progress) set(states []partState) error {
	index := make(map[string]int, len(states))
	for i, s := range states {
		k := s.Partition.String()
		if _, dup := index[k]; dup {
			return fmt.Errorf("pager: progress: partition %s is in the plan twice", k)
		}
		index[k] = i
	}
	pr.parts, pr.index = states, index
	return nil
}

// state returns p's entry. The caller holds pr.mu. It panics if p is not
// in the plan.
func (pr *Progress) state(p Partition, method string) *partState {
	i, ok := pr.index[p.String()]
	if !ok {
		panic(fmt.Sprintf("pager: Progress.%s of partition %s, which is not in its plan", method, p))
	}
	return &pr.parts[i]
}

// Save records cp as the place to resume partition p from: where the walk
// of p stands after the last item whose processing is committed. It
// panics if p is not in the plan.
func (pr *Progress) Save(p Partition, cp Checkpoint) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.state(p, "Save").Checkpoint = cp
}

// Finish records that partition p has been walked to its end. It panics
// if p is not in the plan.
func (pr *Progress) Finish(p Partition) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.state(p, "Finish").Done = true
}

// At returns the checkpoint saved for partition p (the zero Checkpoint,
// where [AllFrom] starts the partition's own walk, if none was), and
// whether p has finished. It panics if p is not in the plan.
func (pr *Progress) At(p Partition) (cp Checkpoint, done bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	s := pr.state(p, "At")
	return s.Checkpoint, s.Done
}

// Done reports whether every partition of the plan has finished.
func (pr *Progress) Done() bool {
	return len(pr.Remaining()) == 0
}

// Partitions returns the plan: the partitions the Progress was made with,
// in order.
func (pr *Progress) Partitions() []Partition {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	parts := make([]Partition, len(pr.parts))
	for i, s := range pr.parts {
		parts[i] = s.Partition
	}
	return parts
}

// Remaining returns the partitions of the plan that have not finished, in
// order: what an export started again from a saved Progress walks, each
// from its checkpoint ([Progress.At]). Walk these rather than partitions
// made again: a listing's total fetched again may differ, and make others.
func (pr *Progress) Remaining() []Partition {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	var left []Partition
	for _, s := range pr.parts {
		if !s.Done {
			left = append(left, s.Partition)
		}
	}
	return left
}

// MarshalJSON implements [json.Marshaler]:
// {"partitions":[{"partition":{"start":0,"end":1000},"checkpoint":{"offset":400}},…]}.
func (pr *Progress) MarshalJSON() ([]byte, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for i := range pr.parts {
		if s := &pr.parts[i]; s.mark != nil {
			data, err := json.Marshal(s.mark)
			if err != nil {
				return nil, fmt.Errorf("pager: progress: watermark of partition %s: %w", s.Partition, err)
			}
			s.Mark, s.mark = data, nil
		}
	}
	parts := pr.parts
	if parts == nil {
		parts = []partState{}
	}
	return json.Marshal(progressJSON{parts})
}

// UnmarshalJSON implements [json.Unmarshaler]. It refuses a plan that
// holds a partition twice, or a partition or checkpoint that does not
// decode. (A saved watermark is decoded by [MarkAt], which knows its type.)
func (pr *Progress) UnmarshalJSON(data []byte) error {
	var j progressJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("pager: progress: %w", err)
	}
	if j.Partitions == nil {
		return fmt.Errorf("pager: progress %.40q: no partitions list", data)
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.set(j.Partitions)
}
