package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pagerseq/pager"
)

// A state is what pagecat keeps beside an output file (-o FILE) in
// FILE.pagecat.json: which export wrote FILE, and how far it got. Bytes
// and Items cover whole records only, flushed and synced to FILE before
// the state was written; a record past them in FILE is a torn tail or
// was written after the last checkpoint, and is cut off when the export
// resumes, and fetched again.
type state struct {
	Version    int               `json:"pagecat"`    // stateVersion
	Command    map[string]string `json:"command"`    // the fingerprint of the export: see [options.fingerprint]
	Checkpoint pager.Checkpoint  `json:"checkpoint"` // where the walk resumes; a link's secrets REDACTED
	Items      int               `json:"items"`      // items read from the listing, -take counts them
	Bytes      int64             `json:"bytes"`      // length of FILE that holds their output
	Done       bool              `json:"done"`       // the listing was read to its end
}

const stateVersion = 1

// stateSuffix names the checkpoint file beside FILE.
const stateSuffix = ".pagecat.json"

// fingerprinted are the flags whose values an export's output depends on:
// a checkpoint is refused by a command that sets one of them otherwise.
// The URL and -start-token are kept as hashes and the URL, with its secret
// query values redacted, as text; header values are never kept.
var fingerprinted = []string{
	"style", "items", "page-size", "max-page-size",
	"limit-param", "offset-param", "token-param", "page-param",
	"total-field", "has-more-field", "next-field",
	"start-offset", "start-page", "jq", "slurp",
}

// detected are the fingerprinted flags that pagecat detects when they are
// not given: a resumed export takes them from its checkpoint.
var detected = []string{"style", "items", "next-field", "limit-param", "offset-param", "token-param", "page-param",
	"total-field", "has-more-field", "total-pages-field", "pages-from-zero"}

// fingerprintedIfSet are fingerprinted flags kept only when set, so that
// a checkpoint written before they were is not refused.
var fingerprintedIfSet = []string{"total-pages-field", "pages-from-zero", "total-header"}

// fingerprint returns what identifies o's export.
func (o *options) fingerprint() map[string]string {
	m := map[string]string{}
	for _, name := range fingerprinted {
		if f := o.fs.Lookup(name); f != nil {
			m[name] = f.Value.String()
		}
	}
	for _, name := range fingerprintedIfSet {
		if f := o.fs.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			m[name] = f.Value.String()
		}
	}
	if o.startToken != "" {
		m["start-token-sha256"] = hash(o.startToken)
	}
	o.styleFingerprint(m)
	if o.demo {
		m["url"] = "-demo"
		return m
	}
	m["url"] = redactURL(o.url)
	m["url-sha256"] = hash(o.url)
	return m
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// mismatch returns a message naming the first difference between the
// fingerprints of a checkpoint (was) and of this command (now), or "".
func mismatch(was, now map[string]string) string {
	all := maps.Clone(was)
	maps.Copy(all, now)
	// The URL first: it is the likeliest difference, and explains the rest.
	keys := append([]string{"url", "url-sha256", "style"}, slices.Sorted(maps.Keys(all))...)
	for _, k := range keys {
		a, b := was[k], now[k]
		if a == b {
			continue
		}
		switch k {
		case "url":
			return fmt.Sprintf("its URL is %s, not %s", a, b)
		case "url-sha256":
			return "its URL differs from this one in a secret query value"
		}
		if flag, ok := strings.CutSuffix(k, "-sha256"); ok { // -start-token, -body, -graphql, -variables
			return fmt.Sprintf("its -%s differs", flag)
		}
		return fmt.Sprintf("its -%s is %s, not %s", k, show(a), show(b))
	}
	return ""
}

func show(v string) string {
	if v == "" {
		return "unset"
	}
	return quote(v)
}

// statePath returns the path of the checkpoint of output file path.
func statePath(path string) string { return path + stateSuffix }

// loadState reads the checkpoint of output file path; nil if there is none.
func loadState(path string) (*state, error) {
	data, err := os.ReadFile(statePath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil || st.Version != stateVersion || st.Command == nil || st.Items < 0 || st.Bytes < 0 {
		return nil, fmt.Errorf("%s is not a pagecat checkpoint that this pagecat reads; remove it, or add -restart to export to %s again", statePath(path), path)
	}
	return &st, nil
}

// saveState writes st as the checkpoint of output file path, atomically:
// to a temporary file, synced, then renamed over the old one, whose
// directory is synced too. The caller has synced the output it covers.
func saveState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dst := statePath(path)
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // if the rename did not happen
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// syncDir syncs a directory, so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// adopt fills the detected flags that the command left unset from the
// checkpoint st, so that a resumed export does not detect them again (a
// request), and returns why st does not belong to o's export, or "".
func (o *options) adopt(st *state) string {
	for _, name := range detected {
		if f := o.fs.Lookup(name); !o.given(name) && st.Command[name] != "" {
			_ = f.Value.Set(st.Command[name])
		}
	}
	return mismatch(st.Command, o.fingerprint())
}

// openOutput opens the output file of o for an export that starts afresh
// (st nil) or resumes from st: it cuts FILE to the length st covers.
func openOutput(o *options, st *state) (*os.File, error) {
	f, err := os.OpenFile(o.writePath(), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, err
	}
	size := int64(0)
	if st != nil {
		size = st.Bytes
		if err := checkTail(f, size); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w; add -restart to export to it again", o.writePath(), err)
		}
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkTail returns an error unless f, an output file, holds at least
// size bytes, the last of them a line's end.
func checkTail(f *os.File, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return fmt.Errorf("the file holds %d bytes, fewer than the %d its checkpoint covers: it was changed since", fi.Size(), size)
	}
	if size == 0 {
		return nil
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return err
	}
	if b[0] != '\n' {
		return fmt.Errorf("byte %d is not the end of a line, as its checkpoint says: the file was changed since", size)
	}
	return nil
}

// hideLink returns cp with the secret query values of its token redacted,
// if it is a link: the next-page URL of a link walk carries the query
// parameters of the first, an api_key among them.
func hideLink(style string, cp pager.Checkpoint) pager.Checkpoint {
	if urlTokens(style) {
		cp.Token = redactURL(cp.Token)
	}
	return cp
}

// restoreLink returns cp with the redacted query values of its token, a
// link, put back from the command's URL u.
func restoreLink(style string, cp pager.Checkpoint, u string) (pager.Checkpoint, error) {
	head, query, ok := strings.Cut(cp.Token, "?")
	if !urlTokens(style) || !ok || !strings.Contains(query, redacted) {
		return cp, nil
	}
	_, given, _ := strings.Cut(u, "?")
	given, _, _ = strings.Cut(given, "#")
	values := map[string]string{}
	for _, pair := range strings.Split(given, "&") {
		name, value, _ := strings.Cut(pair, "=")
		values[name] = value
	}
	pairs := strings.Split(query, "&")
	for i, pair := range pairs {
		name, value, _ := strings.Cut(pair, "=")
		if value != redacted {
			continue
		}
		v, ok := values[name]
		if !ok {
			n, _ := url.QueryUnescape(name)
			return cp, fmt.Errorf("the checkpoint's next link needs the value of %s, which the URL does not give", n)
		}
		pairs[i] = name + "=" + v
	}
	cp.Token = head + "?" + strings.Join(pairs, "&")
	return cp, nil
}
