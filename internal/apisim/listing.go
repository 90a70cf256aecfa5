package apisim

import (
	"net/http"
	"strconv"
	"time"
)

// Record is an item of a Server's listing.
type Record struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

var statuses = [...]string{"ok", "ok", "ok", "failed", "running"}

// epoch is when record 1 was created; each next one a minute later.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newRecord(id int, seed uint64) Record {
	return Record{
		ID:        id,
		Name:      "record-" + pad6(id),
		Status:    statuses[mix(seed^uint64(id))%uint64(len(statuses))],
		CreatedAt: epoch.Add(time.Duration(id-1) * time.Minute).Format(time.RFC3339),
	}
}

func pad6(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

// appendRecord appends r as JSON, as json.Marshal would write it (none of
// its strings needs escaping).
func appendRecord(b []byte, r Record) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(r.ID), 10)
	b = append(b, `,"name":"`...)
	b = append(b, r.Name...)
	b = append(b, `","status":"`...)
	b = append(b, r.Status...)
	b = append(b, `","created_at":"`...)
	b = append(b, r.CreatedAt...)
	return append(b, `"}`...)
}

func (s *Server) appendRecords(b []byte, ids []int) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecord(b, s.Record(id))
	}
	return append(b, ']')
}

// window returns the ids of the records at [off, off+n) of the listing,
// cut short if short and the dice say so, and the listing's length.
func (s *Server) window(off, n int, d dice, short bool) (ids []int, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total = s.cfg.N
	if s.ids != nil {
		total = len(s.ids)
	}
	end := min(off+n, total)
	if short && end > off+1 && d.float(saltShort) < s.cfg.Faults.Short {
		s.stats.short.Add(1)
		end = off + 1 + d.intn(saltShort+1, end-off-1)
	}
	for i := off; i < end; i++ {
		if s.ids != nil {
			ids = append(ids, s.ids[i])
		} else {
			ids = append(ids, i+1)
		}
	}
	return ids, total
}

// change inserts or deletes a record before end, the offset just past a
// page served, as the dice say: the listing changes between pages.
func (s *Server) change(end int, d dice) {
	f := s.cfg.Faults
	ins, del := d.float(saltInsert) < f.Insert, d.float(saltDelete) < f.Delete
	if !ins && !del {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = make([]int, s.cfg.N)
		for i := range s.ids {
			s.ids[i] = i + 1
		}
	}
	end = min(end, len(s.ids))
	if ins {
		at := d.intn(saltInsert+1, end+1)
		s.ids = append(s.ids, 0)
		copy(s.ids[at+1:], s.ids[at:])
		s.ids[at] = s.nextID
		s.nextID++
		s.stats.inserted.Add(1)
	}
	if del && end > 0 {
		at := d.intn(saltDelete+1, end)
		s.ids = append(s.ids[:at], s.ids[at+1:]...)
		s.stats.deleted.Add(1)
	}
}

// intParam reads the integer query parameter name, def if it is absent.
// A value below low is an error; one above high is clamped to it (high 0:
// no bound), as the seed APIs do.
func intParam(r *http.Request, name string, def, low, high int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < low {
		return 0, false
	}
	if high > 0 && n > high {
		n = high
	}
	return n, true
}
