package pagerhttp

import (
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/pagerseq/pager"
)

// maxPageHashes bounds the pages an OffsetFetch remembers of one walk:
// more than Prefetch has in flight.
const maxPageHashes = 256

// maxWalks bounds the walks an OffsetFetch remembers pages of: the
// concurrent walks of partitions, say, each over the same FetchFunc.
const maxWalks = 16

// pageHashes remembers the items of the last pages an OffsetFetch
// answered, as hashes of their bytes by walk and offset, to tell a server
// that ignores the offset parameter (a static file, a parameter of
// another name): it answers the page at offset o+n with the n items it
// gave for o. It is shared by the concurrent fetches of Prefetch, which
// may answer the later page first: both orders are caught. Pages of
// different walks are never compared: the listing may have changed
// between them.
type pageHashes struct {
	mu    sync.Mutex
	seed  maphash.Seed
	walks []*walkHashes // the last walks seen, the latest last
}

// walkHashes are the pages of one walk.
type walkHashes struct {
	walk  any              // the walk's identity, from its context (walkid); nil for a request made outside a walk
	start map[int]pageHash // by offset
	order []int            // the offsets in start, oldest first
}

type pageHash struct {
	n int
	h uint64
}

func (s *pageHashes) init() {
	s.seed = maphash.MakeSeed()
}

// of returns the pages of walk, made the latest.
func (s *pageHashes) of(walk any) *walkHashes {
	i := slices.IndexFunc(s.walks, func(w *walkHashes) bool { return w.walk == walk })
	var w *walkHashes
	if i >= 0 {
		w = s.walks[i]
		s.walks = slices.Delete(s.walks, i, i+1)
	} else {
		w = &walkHashes{walk: walk, start: make(map[int]pageHash)}
		if len(s.walks) == maxWalks {
			s.walks = slices.Delete(s.walks, 0, 1)
		}
	}
	s.walks = append(s.walks, w)
	return w
}

// see records the n items at offset in walk, items their JSON, and
// returns an error wrapping pager.ErrRepeatedPage if the page just before
// or just after them in the same walk holds the same bytes.
func (s *pageHashes) see(walk any, offset, n int, items []byte, param string) error {
	if n == 0 {
		return nil
	}
	ph := pageHash{n: n, h: maphash.Bytes(s.seed, items)}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.of(walk)

	earlier, later := offset-n, offset
	repeated := w.start[earlier] == ph
	if !repeated {
		earlier, later = offset, offset+n
		repeated = w.start[later] == ph
	}
	if _, ok := w.start[offset]; !ok {
		w.order = append(w.order, offset)
		if len(w.order) > maxPageHashes {
			delete(w.start, w.order[0])
			w.order = w.order[1:]
		}
	}
	w.start[offset] = ph
	if !repeated {
		return nil
	}
	return fmt.Errorf("%w: the %d items at offset %d are byte for byte those at offset %d: the server ignores the offset parameter %q (set Endpoint.OffsetParam to the one it reads)",
		pager.ErrRepeatedPage, n, later, earlier, param)
}

// reset forgets the pages of walk: for requests made outside a walk of
// this module (walk nil), called as one asks for offset 0, where a new
// walk is taken to start.
func (s *pageHashes) reset(walk any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.walks = slices.DeleteFunc(s.walks, func(w *walkHashes) bool { return w.walk == walk })
}
