package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// -slurp -o FILE resumes as any export does, and FILE is never half
// written: the items go as NDJSON to a spool beside FILE, FILE.pagecat.part,
// which the checkpoint covers, so that the same command resumes after the
// last whole record in it. Once the walk has ended (or -take is reached),
// FILE is written whole from the spool — to a temporary file, synced,
// renamed over FILE — and the spool removed (kept after -take, for a run
// with a larger one). A run killed before the rename leaves FILE as it
// was; one killed after it, the spool and a checkpoint that says the walk
// ended: the same command writes FILE from the spool again, and fetches
// nothing.

// spoolSuffix names the spool of -slurp -o FILE.
const spoolSuffix = ".pagecat.part"

// writePath returns the file the items are written to as they come: FILE,
// or with -slurp its spool.
func (o *options) writePath() string {
	if o.slurp {
		return o.output + spoolSuffix
	}
	return o.output
}

// finishSlurp writes FILE of -slurp -o FILE from the items of its spool
// that st covers, atomically, and if st says the listing was read to its
// end, removes the spool (with -take, a later run may add to it). Without
// -slurp, or with no spool (FILE was written), it does nothing.
func finishSlurp(o *options, st *state) error {
	if !o.slurp || o.output == "" {
		return nil
	}
	spool := o.writePath()
	in, err := os.Open(spool)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(o.output), filepath.Base(o.output)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // if the rename did not happen
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(o.output); err == nil {
		mode = fi.Mode().Perm()
	}
	err = writeSlurp(o, tmp, io.LimitReader(in, st.Bytes), st.Items)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.output, err)
	}
	if err := os.Rename(tmp.Name(), o.output); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(o.output)); err != nil || !st.Done {
		return err
	}
	return os.Remove(spool)
}

// writeSlurp writes to w what -slurp makes of the items in spool, which
// holds n, one NDJSON record a line: the JSON array of them, streamed, or
// the results of -jq on that array, which needs them all in memory.
func writeSlurp(o *options, w io.Writer, spool io.Reader, n int) error {
	r := bufio.NewReaderSize(spool, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	lw := &lineWriter{w: bw}
	if o.jq.code == nil {
		bw.WriteByte('[')
	}
	read := 0
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			return err // io.EOF: a torn record, which no checkpoint covers
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if o.jq.code == nil {
			if read > 0 {
				bw.WriteByte(',')
			}
			bw.Write(line)
		} else if err := o.jq.run(lw, line, read); err != nil {
			return fmt.Errorf("item at offset %d: %w", read, err)
		}
		read++
	}
	if read != n {
		return fmt.Errorf("%s holds %d items, not the %d its checkpoint says: it was changed since; add -restart to export again", o.writePath(), read, n)
	}
	if o.jq.code == nil {
		bw.WriteString("]\n")
	} else {
		if err := o.jq.end(lw); err != nil {
			return err
		}
		if err := lw.flush(); err != nil {
			return err
		}
	}
	return bw.Flush()
}
