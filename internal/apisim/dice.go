package apisim

import (
	"hash/fnv"
	"net/http"
)

// dice are the random choices for one request: a hash of the server's
// seed, the request's URL and how many times that URL was asked for
// before, so that they do not depend on timing.
type dice struct{ h uint64 }

// Salts pick independent choices from one request's dice.
const (
	saltFault uint64 = iota + 1
	saltCode
	saltJitter
	saltShort
	saltInsert = 16
	saltDelete = 32
)

func (s *Server) dice(r *http.Request) dice {
	key := r.URL.Path + "?" + r.URL.RawQuery + " " + r.Header.Get("Accept")
	s.mu.Lock()
	n := s.asked[key]
	s.asked[key] = n + 1
	s.mu.Unlock()
	h := fnv.New64a()
	h.Write([]byte(key))
	return dice{mix(h.Sum64() ^ mix(s.cfg.Seed) ^ mix(uint64(n)+1))}
}

// float returns a number in [0, 1).
func (d dice) float(salt uint64) float64 {
	return float64(mix(d.h^mix(salt))>>11) / (1 << 53)
}

// intn returns a number in [0, n); n must be positive.
func (d dice) intn(salt uint64, n int) int {
	return int(mix(d.h^mix(salt)) % uint64(n))
}

// mix is the SplitMix64 finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
