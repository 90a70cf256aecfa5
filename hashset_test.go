package pager

import (
	"math/rand/v2"
	"testing"
)

func TestHashSet(t *testing.T) {
	var s hashSet
	seen := make(map[uint64]bool)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100_000 {
		h := rng.Uint64N(50_000) // repeats, and 0 among them
		if i%1000 == 0 {
			h = 0
		}
		if got, want := s.add(h), !seen[max(h, 1)]; got != want {
			t.Fatalf("add(%d) = %v, want %v", h, got, want)
		}
		seen[max(h, 1)] = true
	}
	if s.n != len(seen) || 2*s.n > len(s.slots) {
		t.Errorf("got %d entries in %d slots, want %d, at most half full", s.n, len(s.slots), len(seen))
	}
}
