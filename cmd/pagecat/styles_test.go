package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pagerseq/pager/internal/apisim"
)

// graphQLQuery asks apisim's GraphQL endpoint for its issues connection.
const graphQLQuery = `query($owner: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: "pager") {
    issues(first: $first, after: $after) { nodes { number title } pageInfo { endCursor hasNextPage } }
  }
}`

// A styleCase is a pagecat command for one of apisim's imitations of a
// cursor style.
type styleCase struct {
	label  string
	args   []string // the flags, before the URL
	path   string   // the URL's path and query on the simulator
	name   string   // jq: the record's name in an item
	newest bool     // the listing is newest first (Stripe)
}

// cursorCases are the cursor styles, each against the API it imitates.
func cursorCases() []styleCase {
	return []styleCase{
		{"next/drf", []string{"-style=next", "-limit-param=page_size", "-page-size=25"}, apisim.DRF, ".name", false},
		{"next/jsonapi", []string{"-style=next", "-next-field=links.next", "-items=data", "-limit-param=page[size]", "-page-size=25"}, apisim.JSONAPI, ".attributes.name", false},
		{"next/odata", []string{"-style=next", "-next-field=@odata.nextLink", "-limit-param=$top", "-page-size=25"}, apisim.OData, ".name", false},
		{"next/salesforce", []string{"-style=next", "-next-field=nextRecordsUrl", "-items=records", "-H", "Sforce-Query-Options: batchSize=200"}, apisim.Salesforce + "?q=SELECT+Id,Name+FROM+Record__c", ".Name", false},
		{"keyset/stripe", []string{"-keyset=id", "-token-param=starting_after", "-page-size=25"}, apisim.Stripe, ".description", true},
		{"keyset/since", []string{"-keyset=id", "-token-param=since", "-limit-param=per_page", "-page-size=25"}, apisim.Since, ".name", false},
		{"header/query", []string{"-cursor-header=X-Next-Cursor", "-token-param=cursor", "-page-size=25"}, apisim.Cursors, ".name", false},
		{"header/header", []string{"-cursor-header=X-Next-Cursor", "-token-header=X-Cursor", "-page-size=25"}, apisim.Cursors, ".name", false},
		{"header/nomad", []string{"-cursor-header=X-Nomad-NextToken", "-token-param=next_token", "-limit-param=per_page", "-page-size=25"}, apisim.Nomad, ".Name", false},
		{"header/azure", []string{"-cursor-header=x-ms-continuation-NextPartitionKey,x-ms-continuation-NextRowKey", "-token-param=NextPartitionKey,NextRowKey", "-limit-param=$top", "-page-size=30"}, apisim.Azure, ".Name", false},
		{"graphql", []string{"-graphql", graphQLQuery, "-connection=data.repository.issues", `-variables={"owner": "pagerseq"}`, "-page-size=25"}, apisim.GraphQL, ".title", false},
		{"body/notion", []string{`-body={"sorts": [{"property": "Name", "direction": "ascending"}]}`, "-limit-field=page_size", "-token-field=start_cursor", "-next-field=next_cursor", "-items=results", "-page-size=25"}, apisim.Notion + "d9824bdc/query", ".name", false},
		{"body/search", []string{`-body={"query": {"match_all": {}}, "sort": [{"created_at": "asc"}, {"id": "asc"}]}`, "-limit-field=size", "-keyset=sort", "-token-field=search_after", "-items=hits.hits", "-page-size=25"}, apisim.Search, "._source.name", false},
		{"changes", []string{"-style=changes", "-page-size=25"}, apisim.Changes, ".id", false},
		{"changes/v1", []string{"-style=changes", "-page-size=25"}, apisim.Changes1, ".id", false},
		{"token/slack", []string{"-style=token", "-items=channels", "-next-field=response_metadata.next_cursor", "-token-param=cursor", "-limit-param=limit", "-page-size=25"}, apisim.Slack, ".name", false},
	}
}

// names returns the names of records 1 to n of s as -jq .name writes
// them, newest first if newest.
func recordNames(s *apisim.Server, n int, newest bool) string {
	lines := make([]string, n)
	for i := range lines {
		id := i + 1
		if newest {
			id = n - i
		}
		lines[i] = fmt.Sprintf("%q\n", s.Record(id).Name)
	}
	return strings.Join(lines, "")
}

// TestCursorStyles exports each cursor style with its flags: every
// record once, in order, through failures retried.
func TestCursorStyles(t *testing.T) {
	const n = 234
	s := sim(t, apisim.Config{N: n, Seed: 5, Faults: apisim.Faults{ServerError: 0.1}})
	for _, tt := range cursorCases() {
		t.Run(tt.label, func(t *testing.T) {
			args := append(slices.Clone(tt.args), "-retry=20", "-jq", tt.name, s.URL+tt.path)
			code, stdout, stderr := pagecat(t, args...)
			if want := recordNames(s, n, tt.newest); code != 0 || stdout != want {
				t.Errorf("pagecat %q: got exit %d; stderr:\n%s\n%s", args, code, stderr, firstDiff(want, stdout))
			}
		})
	}
}

// TestGraphQLFile reads the query from a file, and the variables too.
func TestGraphQLFile(t *testing.T) {
	s := sim(t, apisim.Config{N: 30, Seed: 5})
	dir := t.TempDir()
	query, vars := filepath.Join(dir, "issues.graphql"), filepath.Join(dir, "vars.json")
	write(t, query, graphQLQuery)
	write(t, vars, `{"owner": "pagerseq"}`)
	code, stdout, stderr := pagecat(t, "-graphql", query, "-connection", "data.repository.issues", "-variables", "@"+vars, "-page-size=7", s.URL+apisim.GraphQL)
	var want strings.Builder
	for id := 1; id <= 30; id++ {
		fmt.Fprintf(&want, `{"number":%d,"title":%q}`+"\n", id, s.Record(id).Name)
	}
	if code != 0 || stdout != want.String() {
		t.Errorf("got exit %d; stderr:\n%s\n%s", code, stderr, firstDiff(want.String(), stdout))
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGraphQLErrors stops at a GraphQL error in a 200 answer, with the
// server's message, and a usage of -page-size past the server's cap
// names it.
func TestGraphQLErrors(t *testing.T) {
	s := sim(t, apisim.Config{N: 30, Seed: 5})
	code, stdout, stderr := pagecat(t, "-graphql", graphQLQuery, "-connection", "data.repository.issues", "-page-size=500", s.URL+apisim.GraphQL)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "GraphQL errors: Requesting records on the `issues` connection requires a `first` from 1 to 100.") {
		t.Errorf("got exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
	}
}

// TestCursorStyleUsage gives cursor styles flags that do not fit: each
// is a usage error of one line that names the flags.
func TestCursorStyleUsage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-keyset=id"}, "-keyset id needs -token-param NAME"},
		{[]string{"-style=keyset", "-token-param=after"}, "-style keyset needs -keyset FIELD"},
		{[]string{"-style=offset", "-keyset=id", "-token-param=after"}, "-keyset makes the style keyset, not offset"},
		{[]string{"-keyset=id", "-cursor-header=X-Next", "-token-param=a"}, "-keyset and -cursor-header both say where the cursor is"},
		{[]string{"-keyset=id", "-next-field=next", "-token-param=a"}, "-next-field and -keyset or -cursor-header both say where the cursor is"},
		{[]string{"-keyset=id", "-token-param=a", "-token-header=X-A"}, "each say where the cursor goes back: keep one"},
		{[]string{"-style=header", "-token-param=a"}, "-style header needs -cursor-header NAME"},
		{[]string{"-cursor-header=A,B", "-token-param=a"}, "-cursor-header names 2 cursor places, -token-param 1"},
		{[]string{"-cursor-header=A,", "-token-param=a,b"}, "-cursor-header A,: a name is empty"},
		{[]string{"-token-header=X-Cursor"}, "-token-header goes with -style token, -keyset, -cursor-header or -body"},
		{[]string{"-style=link", "-token-header=X-Cursor"}, "-token-header applies to the token and keyset and header and body style, not to -style link"},
		{[]string{"-body={}"}, "-body needs -items"},
		{[]string{"-body={}", "-items=results"}, "-body needs -token-field"},
		{[]string{"-body=[1]", "-items=r", "-token-field=c"}, "-body: want a JSON object, not array"},
		{[]string{`-body={"api_key": "s3cr3t"`, "-items=r", "-token-field=c"}, "-body: want a JSON object (the value is not shown"},
		{[]string{"-body=@" + missing, "-items=r", "-token-field=c"}, "-body: open " + missing},
		{[]string{"-body={}", "-items=r", "-token-field=c", "-limit-param=size"}, "the page size goes in a field of the body: -limit-field"},
		{[]string{"-body={}", "-items=r", "-cursor-header=A,B", "-token-field=c"}, "-token-field takes a cursor of one header"},
		{[]string{"-limit-field=size"}, "-limit-field goes with -body or -graphql"},
		{[]string{"-graphql", graphQLQuery}, "-graphql needs -connection"},
		{[]string{"-graphql", graphQLQuery, "-connection=data.x", "-items=nodes"}, "-graphql reads the items from the nodes or edges of -connection: drop -items"},
		{[]string{"-graphql", graphQLQuery, "-connection=data.x", "-token-param=after"}, "drop -limit-param, -token-param, -next-field and -has-more-field"},
		{[]string{"-graphql", graphQLQuery, "-connection=data.x", "-variables=[]"}, "-variables: want a JSON object, not array"},
		{[]string{"-graphql", missing, "-connection=data.x"}, "-graphql: open " + missing},
		{[]string{"-connection=data.x"}, "-connection goes with -graphql"},
		{[]string{"-style=graphql", "-connection=data.x"}, "-style graphql needs -graphql"},
		{[]string{"-style=next", "-token-param=a,b"}, "several names apply to the header style only"},
		{[]string{"-style=token", "-token-param=a", "-token-header=X-A"}, "-token-param and -token-header each say where the token goes back"},
		{[]string{"-style=token", "-token-header=X-A,X-B"}, "take several names in the header style only"},
	} {
		code, stdout, stderr := pagecat(t, append(tt.args, "http://127.0.0.1:1/x")...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("pagecat %q: got exit %d; stderr:\n%s\nwant exit 2 and one line with %q", tt.args, code, stderr, tt.want)
		}
		if strings.Contains(stderr, "s3cr3t") {
			t.Errorf("pagecat %q: the message shows the body: %s", tt.args, stderr)
		}
	}
}

// TestCursorStyleResume stops each cursor style's export with -take
// partway through a page, tears the last record, and runs the command
// again: FILE is the listing, each record once.
func TestCursorStyleResume(t *testing.T) {
	const n = 120
	s := sim(t, apisim.Config{N: n, Seed: 6})
	for _, tt := range cursorCases() {
		t.Run(tt.label, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ndjson")
			args := append([]string{"-o", out, "-jq", tt.name}, append(tt.args, s.URL+tt.path)...)
			if code, _, stderr := pagecat(t, append([]string{"-take=45"}, args...)...); code != 0 {
				t.Fatalf("-take 45: got exit %d; stderr:\n%s", code, stderr)
			}
			appendFile(t, out, `"record-0`)
			code, _, stderr := pagecat(t, args...)
			if code != 0 || !strings.Contains(stderr, "holds 45 items; resuming after them") {
				t.Fatalf("resuming: got exit %d; stderr:\n%s", code, stderr)
			}
			if want := recordNames(s, n, tt.newest); readFile(t, out) != want {
				t.Fatalf("FILE is not the listing:\n%s", firstDiff(want, readFile(t, out)))
			}
			before := s.Stats().Requests
			if code, _, stderr = pagecat(t, args...); code != 0 || !strings.Contains(stderr, fmt.Sprintf("is complete: %d items; nothing to fetch", n)) {
				t.Errorf("after the end: got exit %d; stderr:\n%s", code, stderr)
			}
			if got := s.Stats().Requests - before; got != 0 {
				t.Errorf("after the end: %d requests, want none", got)
			}
		})
	}
}

// TestCursorStyleRefused runs commands that differ in their style flags
// on the FILE of a body-style export: each is refused, the difference
// named; the body, which holds a secret, is neither in the checkpoint
// nor in a message.
func TestCursorStyleRefused(t *testing.T) {
	s := sim(t, apisim.Config{N: 60, Seed: 6})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.ndjson")
	url := s.URL + apisim.Notion + "d9824bdc/query"
	body := `-body={"filter": {"api_key": "s3cr3t-body"}}`
	common := []string{"-limit-field=page_size", "-next-field=next_cursor", "-items=results"}
	first := append([]string{"-o", out, "-take=10", body, "-token-field=start_cursor"}, append(common, url)...)
	if code, _, stderr := pagecat(t, first...); code != 0 {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	if cp := readFile(t, out+stateSuffix); strings.Contains(cp, "s3cr3t") || !strings.Contains(cp, `"body-sha256"`) {
		t.Errorf("the checkpoint:\n%s", cp)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{`-body={"filter": {"api_key": "other"}}`, "-token-field=start_cursor"}, "its -body differs"},
		{[]string{body, "-token-field=cursor"}, "its -token-field is start_cursor, not cursor"},
		{[]string{body, "-token-header=X-Cursor"}, "its -token-field is start_cursor, not unset"},
		{[]string{"-style=token", "-items=results", "-next-field=next_cursor"}, "its -style is body, not token"},
	} {
		args := append([]string{"-o", out}, tt.args...)
		if tt.args[0] != "-style=token" {
			args = append(args, common...)
		}
		args = append(args, url)
		code, _, stderr := pagecat(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "s3cr3t") {
			t.Errorf("pagecat %q: got exit %d; stderr:\n%s\nwant exit 2 and one line with %q", args, code, stderr, tt.want)
		}
	}
}

// TestCursorStyleResumeCommand fails a body-style export on stdout
// partway: the resume command it prints starts at the cursor, holds no
// secret of the body (REDACTED, and named), and once the secret is put
// back, it exports the rest.
func TestCursorStyleResumeCommand(t *testing.T) {
	s := sim(t, apisim.Config{N: 60, Seed: 6})
	var pages atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["api_key"] != "s3cr3t-body" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		if pages.Add(1) == 3 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		data, _ := json.Marshal(body)
		resp, err := http.Post(s.URL+r.URL.RequestURI(), "application/json", strings.NewReader(string(data)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	defer http.DefaultClient.CloseIdleConnections()
	args := []string{`-body={"api_key": "s3cr3t-body", "sorts": []}`, "-limit-field=page_size", "-token-field=start_cursor",
		"-next-field=next_cursor", "-items=results", "-page-size=20", "-retry=1", proxy.URL + apisim.Notion + "d9824bdc/query"}
	code, first, stderr := pagecat(t, args...)
	_, command, ok := strings.Cut(stderr, "to resume after them, run:\n  ")
	if code != 1 || !ok || !strings.Contains(command, "-start-token=00000000-0000-0000-0000-000000000041") ||
		!strings.Contains(command, `"api_key":"REDACTED"`) || !strings.Contains(stderr, "put back the value of api_key") || strings.Contains(stderr, "s3cr3t") {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	resume := shellSplit(t, strings.TrimSpace(strings.SplitN(command, "\n", 2)[0]))
	for i, a := range resume {
		resume[i] = strings.ReplaceAll(a, redacted, "s3cr3t-body")
	}
	code, rest, stderr := pagecat(t, resume[1:]...)
	if want := ndjson(s, 1, 60); code != 0 || first+rest != want {
		t.Errorf("resumed: got exit %d; stderr:\n%s\n%s", code, stderr, firstDiff(want, first+rest))
	}
}

// TestChangesNoDetection exports a change feed with no request to
// detect its items: a GET of a feed with no limit would be all of it.
func TestChangesNoDetection(t *testing.T) {
	s := sim(t, apisim.Config{N: 50, Seed: 5})
	code, stdout, stderr := pagecat(t, "-style=changes", "-page-size=20", "-jq=.id", s.URL+apisim.Changes)
	if want := recordNames(s, 50, false); code != 0 || stdout != want {
		t.Errorf("got exit %d; stderr:\n%s\n%s", code, stderr, firstDiff(want, stdout))
	}
	if got := s.Stats().Requests; got != 3 {
		t.Errorf("%d requests, want 3: pages of 20, 20 and 10 (pending 0 ends the walk)", got)
	}
}

// TestHelpCursorStyles: -h names every cursor style, with its flags.
func TestHelpCursorStyles(t *testing.T) {
	_, stdout, _ := pagecat(t, "-h")
	for _, want := range []string{"How to page: cursor styles", "-graphql QUERY_FILE -connection data.repository.issues"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-h lacks %q", want)
		}
	}
	for _, style := range cursorStyles {
		if !regexp.MustCompile(`(?m)^  ` + style + ` +-`).MatchString(stdout) {
			t.Errorf("-h has no line for the %s style", style)
		}
	}
}
