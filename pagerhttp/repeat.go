package pagerhttp

import (
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/pagerseq/pager"
)

// maxPageHashes bounds the pages an OffsetFetch remembers: more than
// Prefetch has in flight.
const maxPageHashes = 256

// pageHashes remembers the items of the last pages an OffsetFetch
// answered, as hashes of their bytes by offset, to tell a server that
// ignores the offset parameter (a static file, a parameter of another
// name): it answers the page at offset o+n with the n items it gave for o.
// It is shared by the concurrent fetches of Prefetch, which may answer the
// later page first: both orders are caught.
type pageHashes struct {
	mu    sync.Mutex
	seed  maphash.Seed
	start map[int]pageHash // by offset
	order []int            // the offsets in start, oldest first
}

type pageHash struct {
	n int
	h uint64
}

func (s *pageHashes) init() {
	s.seed = maphash.MakeSeed()
	s.start = make(map[int]pageHash)
}

// see records the n items at offset, items their JSON, and returns an
// error wrapping pager.ErrRepeatedPage if the page just before or just
// after them holds the same bytes.
func (s *pageHashes) see(offset, n int, items []byte, param string) error {
	if n == 0 {
		return nil
	}
	ph := pageHash{n: n, h: maphash.Bytes(s.seed, items)}
	s.mu.Lock()
	defer s.mu.Unlock()

	earlier, later := offset-n, offset
	repeated := s.start[earlier] == ph
	if !repeated {
		earlier, later = offset, offset+n
		repeated = s.start[later] == ph
	}
	if _, ok := s.start[offset]; !ok {
		s.order = append(s.order, offset)
		if len(s.order) > maxPageHashes {
			delete(s.start, s.order[0])
			s.order = s.order[1:]
		}
	}
	s.start[offset] = ph
	if !repeated {
		return nil
	}
	return fmt.Errorf("%w: the %d items at offset %d are byte for byte those at offset %d: the server ignores the offset parameter %q (set Endpoint.OffsetParam to the one it reads)",
		pager.ErrRepeatedPage, n, later, earlier, param)
}

// reset forgets the pages seen: called as a walk asks for offset 0, which
// it does once, first, so that the pages of another walk, of a listing
// that may have changed since, are not taken for repeats. (Prefetch's
// first requests go out together, but the others answer and are seen a
// round trip after the request for offset 0 starts.)
func (s *pageHashes) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.start)
	s.order = s.order[:0]
}
