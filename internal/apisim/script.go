package apisim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Script is a plan of faults by request number, for a demo or a test
// that must meet each kind of fault at a known request, whatever the seed:
// the Faults of a Config come at rates, and a short walk may meet none.
type Script struct {
	// MaxLimit caps the page size asked for (limit, pageSize, per_page)
	// before the Server sees it, as an API that clamps its pages does; 0:
	// the Server's own caps only.
	MaxLimit int
	// Status answers the n-th request (from 1, in order of arrival) with
	// this status instead, and a JSON error body; a 429 comes with
	// Retry-After.
	Status     map[int]int
	RetryAfter time.Duration
	// Short cuts the n-th request's page to this many records, on the
	// endpoints that take a limit or a pageSize (a short page of a
	// page-number endpoint would lose records for any client).
	Short map[int]int
}

// Scripted returns a handler that serves s's listing with the faults of
// sc on top of s's own.
func (s *Server) Scripted(sc Script) http.Handler {
	var (
		mu sync.Mutex
		n  int
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if code, ok := sc.Status[k]; ok {
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", strconv.Itoa(int((sc.RetryAfter+time.Second-1)/time.Second)))
			}
			writeError(w, code, fmt.Sprintf("scripted %d (request %d)", code, k))
			return
		}
		q := r.URL.Query()
		for _, name := range []string{"limit", "pageSize", "per_page"} {
			v, err := strconv.Atoi(q.Get(name))
			if err != nil {
				continue
			}
			if sc.MaxLimit > 0 && v > sc.MaxLimit {
				v = sc.MaxLimit
			}
			if cut, ok := sc.Short[k]; ok && name != "per_page" && cut < v {
				v = cut
			}
			q.Set(name, strconv.Itoa(v))
		}
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		r2.RequestURI = r2.URL.RequestURI()
		s.ServeHTTP(&hostWriter{ResponseWriter: w, from: s.URL, to: "http://" + r.Host}, r2)
	})
}

// A hostWriter rewrites the Server's own URL in Link headers to the
// scripted handler's, so that next links lead back through the script.
type hostWriter struct {
	http.ResponseWriter
	from, to string
	wrote    bool
}

func (w *hostWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		h := w.Header()
		for i, v := range h.Values("Link") {
			h["Link"][i] = strings.ReplaceAll(v, w.from, w.to)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *hostWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush flushes a stream; Unwrap gives http.ResponseController the rest.
func (w *hostWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *hostWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
