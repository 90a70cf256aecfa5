package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/pagerseq/pager"
	"github.com/pagerseq/pager/pagerhttp"
)

// The styles chosen by their flags (or by -style, with the flags they
// need): all but next, which detection also finds, cannot be told from a
// first GET.
//
//	next     the body names the next page's URL (DRF "next", OData
//	         "@odata.nextLink", Salesforce "nextRecordsUrl"): -next-field
//	keyset   the cursor is a field of the last item (Stripe): -keyset
//	header   the cursor is in response headers (X-Next-Cursor; Azure's
//	         two continuation headers): -cursor-header
//	body     every request POSTs a JSON body with the cursor in it
//	         (Notion, Elasticsearch search_after): -body
//	graphql  a GraphQL connection (Relay): -graphql, -connection
//	changes  a change feed (CouchDB _changes): caught up is the end
//
// Where the cursor goes back: -token-param (query parameters), or
// -token-header (request headers), or -token-field (a field of -body).
var cursorStyles = []string{"next", "keyset", "header", "body", "graphql", "changes"}

// styleFlags are the flags of the cursor styles.
type styleFlags struct {
	keyset       string // -keyset: field of the last item
	cursorHeader string // -cursor-header: response headers, comma-separated
	tokenHeader  string // -token-header: request headers, comma-separated
	body         string // -body: JSON or @FILE, as given
	limitField   string // -limit-field: field of -body (or GraphQL variable) for the page size
	tokenField   string // -token-field: field of -body (or GraphQL variable) for the cursor
	graphql      string // -graphql: FILE, or the query itself
	connection   string // -connection: path of the GraphQL connection
	variables    string // -variables: JSON or @FILE, as given

	// Resolved by check: the files read.
	bodyText, query, varsText string
}

// styleFlagNames are the flags of styleFlags, in the order -h shows them.
var styleFlagNames = []string{"keyset", "cursor-header", "token-header", "body", "limit-field", "token-field", "graphql", "connection", "variables"}

func (sf *styleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.keyset, "keyset", "", "keyset style: the `FIELD` of a page's last item that is the next page's cursor (Stripe: id), sent back as -token-param or -token-header")
	fs.StringVar(&sf.cursorHeader, "cursor-header", "", "header style: the response `HEADER` with the next page's cursor (X-Next-Cursor), or several, comma-separated (Azure: x-ms-continuation-NextPartitionKey,x-ms-continuation-NextRowKey), sent back as as many -token-param or -token-header names")
	fs.StringVar(&sf.tokenHeader, "token-header", "", "request `HEADER` (or several, comma-separated) that sends the cursor back, instead of -token-param (token, keyset, header and body styles)")
	fs.StringVar(&sf.body, "body", "", "body style: the `JSON` object POSTed with every request, or @FILE; the cursor goes in its -token-field, the page size in its -limit-field")
	fs.StringVar(&sf.limitField, "limit-field", "", "body style: the `PATH` of the field of -body for the page size (page_size, size; dotted path; none if unset); graphql style: the variable (default first)")
	fs.StringVar(&sf.tokenField, "token-field", "", "body style: the `PATH` of the field of -body for the cursor (start_cursor, search_after; dotted path); graphql style: the variable (default after)")
	fs.StringVar(&sf.graphql, "graphql", "", "graphql style: the query, or a `FILE` that holds it; it declares $first and $after (see -limit-field, -token-field) and selects the connection's nodes (or edges { node }) and pageInfo { endCursor hasNextPage }")
	fs.StringVar(&sf.connection, "connection", "", "graphql style: the dotted `PATH` of the connection in the answer (data.repository.issues)")
	fs.StringVar(&sf.variables, "variables", "", "graphql style: the query's other variables, a `JSON` object or @FILE")
}

const styleUsage = `
Cursor styles, which detection cannot find from a first GET (but next,
which it finds; its flags pin it): say them by their flags.
  next     -style next [-next-field next]: the body names the next URL (DRF,
           JSON:API links.next, OData @odata.nextLink, Salesforce nextRecordsUrl)
  keyset   -keyset id -token-param starting_after: the cursor is a field of
           the last item (Stripe, GitHub ?since=)
  header   -cursor-header X-Next-Cursor -token-param cursor (or -token-header
           X-Cursor); several headers comma-separated (Azure Table storage)
  body     -body '{...}'|@FILE -token-field start_cursor -next-field
           next_cursor -items results (Notion); with -keyset sort
           -token-field search_after (Elasticsearch)
  graphql  -graphql QUERY_FILE -connection data.repository.issues
           [-variables '{"owner": "golang"}'] (Relay connections)
  changes  -style changes: a change feed (CouchDB _changes); caught up is
           the end
`

// maxArgFile bounds a file that a flag names (@FILE): a body, a query.
const maxArgFile = 16 << 20

// readArg returns the value of flag name: v itself, or with at (v is
// @FILE) the contents of FILE.
func readArg(name, v string, at bool) (string, error) {
	file, ok := strings.CutPrefix(v, "@")
	if !at || !ok {
		return v, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("-%s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxArgFile+1))
	if err != nil {
		return "", fmt.Errorf("-%s: %w", name, err)
	}
	if len(data) > maxArgFile {
		return "", fmt.Errorf("-%s: %s is larger than %d MiB", name, file, maxArgFile>>20)
	}
	return string(data), nil
}

// jsonObject checks that text, the value of flag name, is a JSON object.
// Its message does not quote text, which may hold a secret.
func jsonObject(name, text string) error {
	var obj map[string]json.RawMessage
	err := json.Unmarshal([]byte(text), &obj)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("-%s: want a JSON object, not %s", name, te.Value)
	case err != nil:
		return fmt.Errorf("-%s: want a JSON object (the value is not shown: it may hold a secret): %v", name, err)
	case obj == nil:
		return fmt.Errorf("-%s: want a JSON object, not null", name)
	}
	return nil
}

// names splits a comma-separated list of names.
func names(list string) []string {
	if list == "" {
		return nil
	}
	out := strings.Split(list, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// impliedStyle returns the style the style flags name, or "".
func (sf *styleFlags) impliedStyle() string {
	switch {
	case sf.graphql != "":
		return "graphql"
	case sf.body != "":
		return "body"
	case sf.keyset != "":
		return "keyset"
	case sf.cursorHeader != "":
		return "header"
	}
	return ""
}

// checkStyle sets o.style from the style flags if it is unset, checks
// that the flags fit together and with the style, and reads the files
// they name. Its errors are one line, for a usage error.
func (o *options) checkStyle() error {
	sf := &o.sf
	if implied := sf.impliedStyle(); o.style == "" {
		o.style = implied
	} else if implied != "" && implied != o.style && !(o.style == "body" && (implied == "keyset" || implied == "header")) {
		return fmt.Errorf("-%s makes the style %s, not %s: drop -style, or the flag", styleFlagOf(implied), implied, o.style)
	}
	if sf.keyset != "" && sf.cursorHeader != "" {
		return errors.New("-keyset and -cursor-header both say where the cursor is: keep one")
	}
	// Each flag, the styles it applies to, and the flags that set them.
	for _, f := range []struct {
		name, v string
		styles  []string
		setBy   string
	}{
		{"keyset", sf.keyset, []string{"keyset", "body"}, ""},
		{"cursor-header", sf.cursorHeader, []string{"header", "body"}, ""},
		{"token-header", sf.tokenHeader, []string{"token", "keyset", "header", "body"}, "-style token, -keyset, -cursor-header or -body"},
		{"body", sf.body, []string{"body"}, ""},
		{"limit-field", sf.limitField, []string{"body", "graphql"}, "-body or -graphql"},
		{"token-field", sf.tokenField, []string{"body", "graphql"}, "-body or -graphql"},
		{"graphql", sf.graphql, []string{"graphql"}, ""},
		{"connection", sf.connection, []string{"graphql"}, "-graphql"},
		{"variables", sf.variables, []string{"graphql"}, "-graphql"},
	} {
		switch {
		case f.v == "" || slices.Contains(f.styles, o.style):
		case o.style == "":
			return fmt.Errorf("-%s goes with %s", f.name, f.setBy)
		default:
			return fmt.Errorf("-%s applies to the %s style, not to -style %s", f.name, strings.Join(f.styles, " and "), o.style)
		}
	}
	var err error
	switch o.style {
	case "keyset", "header":
		err = o.checkCursor()
	case "body":
		err = o.checkBody()
	case "graphql":
		err = o.checkGraphQL()
	case "next", "changes":
		if o.style == "changes" && o.items == "" {
			// A first GET of a feed with no limit would be the whole
			// feed: no detection.
			o.items = "results"
		}
		if strings.Contains(o.tokenParam, ",") {
			err = fmt.Errorf("-token-param %s: several names apply to the header style only", o.tokenParam)
		}
	}
	switch {
	case err != nil || o.style != "token":
	case o.tokenParam != "" && sf.tokenHeader != "":
		err = errors.New("-token-param and -token-header each say where the token goes back: keep one")
	case strings.Contains(o.tokenParam+sf.tokenHeader, ","):
		err = errors.New("-token-param and -token-header take several names in the header style only")
	}
	return err
}

// styleFlagOf returns the flag that implies style.
func styleFlagOf(style string) string {
	return map[string]string{"graphql": "graphql", "body": "body", "keyset": "keyset", "header": "cursor-header"}[style]
}

// checkCursor checks the flags of a walk whose cursor is read from the
// last item (-keyset) or from headers (-cursor-header), and sent back in
// query parameters, headers or (body style) a field of the body.
func (o *options) checkCursor() error {
	sf := &o.sf
	from, flag := []string{sf.keyset}, "-keyset"
	switch {
	case sf.keyset != "" && o.nextField != "" || sf.cursorHeader != "" && o.nextField != "":
		return errors.New("-next-field and -keyset or -cursor-header both say where the cursor is: keep one")
	case sf.cursorHeader != "":
		from, flag = names(sf.cursorHeader), "-cursor-header"
	case o.style == "keyset" && sf.keyset == "":
		return errors.New("-style keyset needs -keyset FIELD, the field of the last item that is the next page's cursor (Stripe: id)")
	case o.style == "header":
		return errors.New("-style header needs -cursor-header NAME, the response header with the next page's cursor")
	}
	if slices.Contains(from, "") {
		return fmt.Errorf("%s %s: a name is empty", flag, strings.Join(from, ","))
	}
	to, toFlag := names(o.tokenParam), "-token-param"
	sent := 0
	for _, v := range []string{o.tokenParam, sf.tokenHeader, sf.tokenField} {
		if v != "" {
			sent++
		}
	}
	switch {
	case sent > 1:
		return errors.New("-token-param, -token-header and -token-field each say where the cursor goes back: keep one")
	case sf.tokenHeader != "":
		to, toFlag = names(sf.tokenHeader), "-token-header"
	case sf.tokenField != "":
		if len(from) > 1 {
			return errors.New("-token-field takes a cursor of one header; a cursor of several goes back in as many -token-param or -token-header names")
		}
		return nil
	case sent == 0 && o.style == "body":
		return errors.New("-body needs -token-field, the field of the body that carries the cursor (Notion: start_cursor), or -token-param or -token-header")
	case sent == 0:
		return fmt.Errorf("%s %s needs -token-param NAME, the query parameter the cursor goes back in (Stripe: starting_after), or -token-header NAME", flag, strings.Join(from, ","))
	}
	switch {
	case slices.Contains(to, "") || slices.Contains(to, "-"):
		return fmt.Errorf("%s %s: a name is empty", toFlag, strings.Join(to, ","))
	case len(to) != len(from):
		return fmt.Errorf("%s names %d cursor places, %s %d: pair them in order", flag, len(from), toFlag, len(to))
	}
	return nil
}

// checkBody checks the flags of the body style and reads -body.
func (o *options) checkBody() error {
	sf := &o.sf
	switch {
	case sf.body == "":
		return errors.New("-style body needs -body, the JSON object POSTed with every request, or @FILE")
	case o.items == "":
		return errors.New("-body needs -items, the field of the answer that holds the items (detection asks with a GET)")
	case o.limitParam != "":
		return errors.New("-limit-param with -body: the page size goes in a field of the body: -limit-field")
	}
	var err error
	if sf.bodyText, err = readArg("body", sf.body, true); err != nil {
		return err
	}
	if err := jsonObject("body", sf.bodyText); err != nil {
		return err
	}
	if sf.keyset == "" && sf.cursorHeader == "" && sf.tokenField == "" && sf.tokenHeader == "" && o.tokenParam == "" {
		return errors.New("-body needs -token-field, the field of the body that carries the cursor (Notion: start_cursor), or -token-param or -token-header")
	}
	if sf.keyset == "" && sf.cursorHeader == "" {
		if n := len(names(o.tokenParam)) + len(names(sf.tokenHeader)); n > 1 {
			return errors.New("-token-param and -token-header take several names with -cursor-header only")
		}
		if sf.tokenField != "" && (o.tokenParam != "" || sf.tokenHeader != "") {
			return errors.New("-token-param, -token-header and -token-field each say where the cursor goes back: keep one")
		}
		return nil
	}
	return o.checkCursor()
}

// checkGraphQL checks the flags of the graphql style and reads its files.
func (o *options) checkGraphQL() error {
	sf := &o.sf
	switch {
	case sf.graphql == "":
		return errors.New("-style graphql needs -graphql, the query or a file that holds it")
	case sf.connection == "":
		return errors.New("-graphql needs -connection, the dotted path of the connection in the answer (data.repository.issues)")
	case o.items != "":
		return errors.New("-graphql reads the items from the nodes or edges of -connection: drop -items")
	case o.limitParam != "" || o.tokenParam != "" || o.nextField != "" || o.hasMoreField != "":
		return errors.New("-graphql sends the page size and the cursor as variables (-limit-field, -token-field) and reads pageInfo: drop -limit-param, -token-param, -next-field and -has-more-field")
	}
	// A query holds braces; a file name hardly ever does.
	sf.query = sf.graphql
	var err error
	if !strings.Contains(sf.graphql, "{") {
		if sf.query, err = readArg("graphql", "@"+sf.graphql, true); err != nil {
			return err
		}
	}
	if sf.variables != "" {
		if sf.varsText, err = readArg("variables", sf.variables, true); err != nil {
			return err
		}
		if err := jsonObject("variables", sf.varsText); err != nil {
			return err
		}
	}
	o.items = sf.connection
	return nil
}

// urlTokens reports whether the tokens of a walk of style are URLs, whose
// secret query values are kept out of checkpoints.
func urlTokens(style string) bool { return style == "link" || style == "next" }

// styleSource returns the walk of a cursor style, over ep as o's other
// flags set it, with the options of a Token walk; false if o's style is
// not a cursor style.
func (o *options) styleSource(ep pagerhttp.Endpoint, opts []pager.Option) (pager.Source[json.RawMessage], bool) {
	sf := &o.sf
	switch o.style {
	case "next":
		ep.Cursor = pagerhttp.BodyField(or(o.nextField, "next"))
		return pagerhttp.NextURL[json.RawMessage](ep, opts...), true
	case "changes":
		return pager.Token(pagerhttp.ChangesFetch[json.RawMessage](ep), opts...), true
	case "graphql":
		ep.LimitParam, ep.TokenParam = sf.limitField, sf.tokenField
		var vars map[string]any
		if sf.varsText != "" {
			d := json.NewDecoder(strings.NewReader(sf.varsText))
			d.UseNumber()       // numbers as written
			_ = d.Decode(&vars) // checked by checkGraphQL
		}
		return pager.Token(pagerhttp.GraphQLFetch[json.RawMessage](ep, sf.query, vars), opts...), true
	case "keyset", "header", "body":
	case "token":
		if sf.tokenHeader != "" {
			ep.SendCursor = pagerhttp.Header(sf.tokenHeader)
			return pager.Token(pagerhttp.TokenFetch[json.RawMessage](ep), opts...), true
		}
		return nil, false
	default:
		return nil, false
	}
	switch {
	case sf.keyset != "":
		ep.Cursor = pagerhttp.LastItem(sf.keyset)
	case sf.cursorHeader != "":
		ep.Cursor = pagerhttp.Header(names(sf.cursorHeader)...)
	}
	switch {
	case sf.tokenHeader != "":
		ep.SendCursor = pagerhttp.Header(names(sf.tokenHeader)...)
	case sf.tokenField != "":
		ep.SendCursor = pagerhttp.BodyField(sf.tokenField)
	default:
		ep.SendCursor = pagerhttp.Query(names(o.tokenParam)...)
	}
	if o.style == "body" {
		ep.Body, ep.LimitParam = sf.bodyText, sf.limitField
	} else if ep.LimitParam == "" {
		ep.LimitParam = "limit" // Stripe's, and most keyset and header APIs'
	}
	return pager.Token(pagerhttp.TokenFetch[json.RawMessage](ep), opts...), true
}

// styleFingerprint adds to m, the fingerprint of o's export, what its
// style flags say: the names as given, and the texts of -body, -graphql
// and -variables as hashes, which may hold secrets.
func (o *options) styleFingerprint(m map[string]string) {
	sf := &o.sf
	for _, f := range []struct{ name, v string }{
		{"keyset", sf.keyset}, {"cursor-header", sf.cursorHeader}, {"token-header", sf.tokenHeader},
		{"limit-field", sf.limitField}, {"token-field", sf.tokenField}, {"connection", sf.connection},
	} {
		if f.v != "" {
			m[f.name] = f.v
		}
	}
	for _, f := range []struct{ name, v string }{{"body", sf.bodyText}, {"graphql", sf.query}, {"variables", sf.varsText}} {
		if f.v != "" {
			m[f.name+"-sha256"] = hash(f.v)
		}
	}
}

// hideStyleValue returns v, the value of flag name in a printed resume
// command, with the values of secret-looking fields of a JSON body or
// variables given on the command line REDACTED, and adds their names to
// secrets. A value given as @FILE stays as it is.
func hideStyleValue(name, v string, secrets *[]string) string {
	if (name != "body" && name != "variables") || strings.HasPrefix(v, "@") {
		return v
	}
	var obj any
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	if d.Decode(&obj) != nil {
		return v
	}
	var found []string
	obj = redactJSON(obj, &found)
	if len(found) == 0 {
		return v
	}
	*secrets = append(*secrets, found...)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(obj)
	return strings.TrimSpace(b.String())
}

// redactJSON returns v with the values of the fields whose names look
// secret (api_key, password, token…) REDACTED, at any depth, and adds
// their names to found.
func redactJSON(v any, found *[]string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			if pagerhttp.SecretParam(k) {
				v[k] = redacted
				*found = append(*found, k)
				continue
			}
			v[k] = redactJSON(inner, found)
		}
	case []any:
		for i := range v {
			v[i] = redactJSON(v[i], found)
		}
	}
	return v
}

// styleRepeatedAdvice is repeatedAdvice for the cursor styles: what to
// change when the server handed back a cursor already used.
func (o *options) styleRepeatedAdvice() (string, bool) {
	switch o.style {
	case "next":
		return "the server's next URLs go round in a loop; no flag can mend that", true
	case "keyset":
		return fmt.Sprintf("the server ignores the cursor, or -keyset %s does not advance: set -token-param to the parameter it reads, or -keyset to a unique field it sorts by", o.sf.keyset), true
	case "header", "body", "graphql", "changes":
		return "the server handed back a cursor already used: it ignores the cursor where pagecat sends it (-token-param, -token-header, -token-field); set the one it reads", true
	}
	return "", false
}
