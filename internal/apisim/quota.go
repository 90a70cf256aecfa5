package apisim

import (
	"net/http"
	"strconv"
	"time"
)

// A quotaWindow is the window of Faults.Quota that requests spend.
type quotaWindow struct {
	end  time.Time // zero: none opened yet
	used int
}

// spend counts a request against Faults.Quota, if there is one, and
// writes the quota's headers; it reports whether the request is within
// the quota, having answered it 429 if not.
func (s *Server) spend(w http.ResponseWriter) bool {
	f := s.cfg.Faults
	if f.Quota <= 0 {
		return true
	}
	window := f.QuotaWindow
	if window <= 0 {
		window = time.Second
	}
	now := time.Now()
	s.mu.Lock()
	if !now.Before(s.quota.end) {
		s.quota = quotaWindow{end: now.Add(window)}
	}
	ok := s.quota.used < f.Quota
	if ok {
		s.quota.used++
	}
	left, end := f.Quota-s.quota.used, s.quota.end
	s.mu.Unlock()

	secs := int64((end.Sub(now) + time.Second - 1) / time.Second) // rounded up: never before the end
	prefix, reset := "RateLimit-", secs
	if f.QuotaHeaders == "X-RateLimit" {
		prefix, reset = "X-RateLimit-", end.Add(time.Second-1).Unix()
	}
	h := w.Header()
	h.Set(prefix+"Limit", strconv.Itoa(f.Quota))
	h.Set(prefix+"Remaining", strconv.Itoa(left))
	h.Set(prefix+"Reset", strconv.FormatInt(reset, 10))
	if !ok {
		s.stats.overQuota.Add(1)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		writeError(w, http.StatusTooManyRequests, "rate-limit quota spent")
	}
	return ok
}
