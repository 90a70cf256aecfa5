package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync/atomic"
	"time"

	"github.com/pagerseq/pager"
)

// items returns the items of o's walk of src from *cp on, keeping *cp just
// past the item last yielded. An NDJSON stream keeps no checkpoint of its
// own (pager.AllFrom walks pages): its items are counted, from the offset
// src was started at, which is *cp's.
func items(ctx context.Context, o *options, src pager.Source[json.RawMessage], cp *pager.Checkpoint) iter.Seq2[json.RawMessage, error] {
	if o.style != "ndjson" {
		return pager.AllFrom(ctx, src, cp)
	}
	return func(yield func(json.RawMessage, error) bool) {
		for item, err := range pager.All(ctx, src) {
			if err == nil {
				cp.Offset++
			}
			if !yield(item, err) || err != nil {
				return
			}
		}
	}
}

// position returns the offset of the item just before checkpoint cp.
func position(cp pager.Checkpoint) int { return cp.Offset + cp.Skip - 1 }

// A sink is where an export's items go: its lines, and with -o the file
// and its checkpoint, saved every -checkpoint-every.
type sink struct {
	out    *lineWriter
	jq     *jqProgram // nil: the items as they are
	file   *os.File   // -o FILE, or nil
	path   string
	st     *state
	every  time.Duration
	saved  time.Time
	cp     *pager.Checkpoint // the walk's, kept by items
	closer io.Closer         // -o FILE, or nil
	style  string
	read   int // items read, from the start of the export

	// pages counts the pages the walk began (OnPage), committed those
	// when the checkpoint was saved last: a commit waits for a new page.
	pages     atomic.Int64
	committed int64
}

// close closes FILE, if any.
func (s *sink) close() {
	if s.closer != nil {
		s.closer.Close()
	}
}

// item writes the output of an item, the one just before *s.cp; on an
// error it writes nothing.
func (s *sink) item(item json.RawMessage) error {
	var err error
	if s.jq != nil {
		err = s.jq.run(s.out, item, position(*s.cp))
	} else {
		err = s.out.writeItem(item)
	}
	if err == nil {
		s.read++
	}
	return err
}

// page is called by the walk for each page it fetched (OnPage).
func (s *sink) page() { s.pages.Add(1) }

// due reports whether the checkpoint is to be saved now: with -o, every
// -checkpoint-every, once per page at most, and at the end of a page when
// the checkpoint says where one ends (a token or page walk's; one inside a
// page is valid too, but needs the page to hold as many items when it is
// fetched again). An offset walk's checkpoint is valid after any item.
func (s *sink) due() bool {
	return s.file != nil && s.cp.Skip == 0 && s.pages.Load() != s.committed && time.Since(s.saved) >= s.every
}

// commit writes out the lines gathered, and with -o syncs FILE and then
// saves the checkpoint that covers it; done says the listing was read to
// its end.
func (s *sink) commit(done bool) error {
	if err := s.out.flush(); err != nil {
		return fmt.Errorf("writing the items: %w", err)
	}
	if s.file == nil {
		return nil
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", s.path, err)
	}
	size, err := s.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	s.st.Checkpoint, s.st.Items, s.st.Bytes, s.st.Done = hideLink(s.style, *s.cp), s.read, size, done
	if err := saveState(s.path, s.st); err != nil {
		return fmt.Errorf("saving the checkpoint of %s: %w", s.path, err)
	}
	s.saved, s.committed = time.Now(), s.pages.Load()
	return nil
}

// export writes the items to the sink, and returns the exit code. Output
// is written in whole lines only: on a failure the output ends with the
// last item read, and a kill leaves no half record. With -o, the
// checkpoint is saved after the items it covers are synced to FILE.
func export(o *options, items iter.Seq2[json.RawMessage, error], s *sink, stderr io.Writer, prog *progress) int {
	start := s.read
	done := func() bool { return o.take > 0 && s.read >= o.take }
	last := *s.cp // just past the last item written
	for item, err := range items {
		if err != nil {
			prog.done()
			if cerr := s.commit(false); cerr != nil {
				say(stderr, "%v", cerr)
			}
			return o.fail(stderr, err, s.read-start, s.read)
		}
		if err := s.item(item); err != nil {
			prog.done()
			pos := position(*s.cp)
			*s.cp = last // the item is not written: resume at it
			if cerr := s.commit(false); cerr != nil {
				say(stderr, "%v", cerr)
				return 1
			}
			return o.fail(stderr, fmt.Errorf("item at offset %d: %w", pos, err), s.read-start, s.read)
		}
		last = *s.cp
		if done() {
			break
		}
		if s.due() {
			if err := s.commit(false); err != nil {
				prog.done()
				say(stderr, "%v", err)
				return 1
			}
		}
	}
	prog.done()
	if err := s.end(); err != nil {
		say(stderr, "%v", err)
		return 1
	}
	if err := s.commit(!done()); err != nil {
		say(stderr, "%v", err)
		return 1
	}
	if s.st != nil {
		if err := finishSlurp(o, s.st); err != nil {
			say(stderr, "%s", o.hide(err.Error()))
			if errors.As(err, new(*jqError)) {
				say(stderr, "%s holds all %d items; mend -jq and add -restart (a checkpoint holds to its -jq)", o.writePath(), s.read)
			}
			return 1
		}
	}
	return 0
}

// end writes what the output holds back until the last item (-slurp).
func (s *sink) end() error {
	if s.jq != nil {
		return s.jq.end(s.out)
	}
	return nil
}
