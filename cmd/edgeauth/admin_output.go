package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// show prints an answer: with -o json the API's JSON as it came, else
// what table writes.
func (c *call) show(raw []byte, table func(w io.Writer) error) error {
	if c.json {
		return writeJSON(c.sys.stdout, raw)
	}
	return table(c.sys.stdout)
}

// writeJSON writes raw, ending in one newline.
func writeJSON(w io.Writer, raw []byte) error {
	raw = bytes.TrimRight(raw, "\n")
	_, err := w.Write(append(raw, '\n'))
	return err
}

// note tells the person at the terminal something the output does not
// say; on standard error, so that it stays out of pipes and -o json.
func (c *call) note(format string, args ...any) {
	fmt.Fprintf(c.sys.stderr, format+"\n", args...)
}

// done reports a change that has no answer body (204) in table mode;
// with -o json it prints nothing: the exit status says it.
func (c *call) done(format string, args ...any) error {
	if !c.json {
		fmt.Fprintf(c.sys.stdout, format+"\n", args...)
	}
	return nil
}

// secretNote is printed under every answer that holds a secret.
const secretNote = "The %s is shown once; store it now. edgeauth keeps only its hash."

// table writes rows under header, aligned.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, header)
	for _, r := range rows {
		writeRow(tw, r)
	}
	return tw.Flush()
}

func writeRow(w io.Writer, cells []string) {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = cell(c)
	}
	fmt.Fprintln(w, strings.Join(out, "\t"))
}

// cell is s as a table shows it: "-" when empty, and quoted when it holds
// a character that is not printable (a tab, a newline, a terminal escape
// in a self-registered client's name).
func cell(s string) string {
	switch {
	case s == "":
		return "-"
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }):
		return strconv.Quote(s)
	}
	return s
}

// fieldFormats render fields whose JSON is not what a person reads.
var fieldFormats = map[string]func(json.RawMessage) []string{
	"client_id_issued_at": unixTime,
	"client_secret_expires_at": func(raw json.RawMessage) []string {
		if string(raw) == "0" {
			return []string{"never"}
		}
		return unixTime(raw)
	},
	"identities": identityLines,
	"settings": func(raw json.RawMessage) []string {
		if lines := valueLines(raw); len(lines) > 0 {
			return lines
		}
		return []string{"(defaults)"}
	},
}

// identityLines are a user's linked upstream accounts, one a line:
// "connection subject email (verified)".
func identityLines(raw json.RawMessage) []string {
	var ids []struct {
		Connection    string `json:"connection"`
		Subject       string `json:"subject"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}
	if json.Unmarshal(raw, &ids) != nil {
		return valueLines(raw)
	}
	var lines []string
	for _, id := range ids {
		l := id.Connection + " " + id.Subject
		if id.Email != "" {
			l += " " + id.Email
			if id.EmailVerified {
				l += " (verified)"
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func unixTime(raw json.RawMessage) []string {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return valueLines(raw)
	}
	return []string{time.Unix(n, 0).UTC().Format(time.RFC3339)}
}

// object writes the fields of the JSON object raw, one per row: those in
// order first, then the others by name (fields a newer server added), a
// list one item per line.
func object(w io.Writer, raw []byte, order []string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("the answer is not a JSON object: %w", err)
	}
	var keys []string
	for _, k := range order {
		if _, ok := obj[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range obj {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range append(keys, rest...) {
		format := fieldFormats[k]
		if format == nil {
			format = valueLines
		}
		lines := format(obj[k])
		if len(lines) == 0 {
			lines = []string{""}
		}
		for i, l := range lines {
			name := k
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(tw, "%s\t%s\n", name, cell(l))
		}
	}
	return tw.Flush()
}

// valueLines renders a JSON value: a string as itself, a list one item per
// line, an object "key: value" per line by key; nothing for null and
// empty values.
func valueLines(raw json.RawMessage) []string {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return []string{string(raw)}
	}
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		var lines []string
		for _, e := range v {
			lines = append(lines, scalar(e))
		}
		return lines
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var lines []string
		for _, k := range keys {
			lines = append(lines, k+": "+scalar(v[k]))
		}
		return lines
	default:
		if s := scalar(v); s != "" {
			return []string{s}
		}
		return nil
	}
}

// scalar is a JSON value on one line: strings unquoted, lists joined by
// ", ", anything else as compact JSON.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = scalar(e)
		}
		return strings.Join(parts, ", ")
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// compact is raw as one line of JSON, "" for nothing or null.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) == 0 || string(raw) == "null" || json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

// readJSONObject reads the JSON object of --json: a file, or standard
// input for "-". Numbers keep their digits.
func (c *call) readJSONObject(path string) (map[string]any, error) {
	var r io.Reader
	if path == "-" {
		r = c.sys.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("--json: %v", err)
		}
		defer f.Close()
		r = f
	}
	d := json.NewDecoder(io.LimitReader(r, 1<<20))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || obj == nil {
		return nil, usagef("--json %s: want one JSON object (%v)", path, err)
	}
	if d.More() {
		return nil, usagef("--json %s: more than one JSON value", path)
	}
	return obj, nil
}

// page is one page of a list the API answers a page at a time.
type page[T any] struct {
	raw   []byte            // the answer as it came
	items []T               // its items, decoded
	raws  []json.RawMessage // and as they came
	next  string            // what fetches the next page; "" on the last
}

// listing is a list command's way through the pages: fetch gets the page
// after next ("" for the first), key names the items in the JSON answer,
// table prints items, and more says how to ask for the page after next.
type listing[T any] struct {
	fetch func(ctx context.Context, next string) (page[T], error)
	key   string
	table func(w io.Writer, items []T) error
	more  func(next string) string
}

// show prints the first page and, in table mode, says how to get the next
// one; with all, every page as one list.
func (l listing[T]) show(ctx context.Context, c *call, all bool) error {
	p, err := l.fetch(ctx, "")
	if err != nil {
		return err
	}
	if !all {
		if err := c.show(p.raw, func(w io.Writer) error { return l.table(w, p.items) }); err != nil {
			return err
		}
		if p.next != "" && !c.json {
			c.note("%s", l.more(p.next))
		}
		return nil
	}
	items, raws := p.items, p.raws
	for p.next != "" {
		if p, err = l.fetch(ctx, p.next); err != nil {
			return err
		}
		items, raws = append(items, p.items...), append(raws, p.raws...)
	}
	if c.json {
		b, err := json.Marshal(map[string]any{l.key: raws})
		if err != nil {
			return err
		}
		return writeJSON(c.sys.stdout, b)
	}
	return l.table(c.sys.stdout, items)
}

// shellWord is s as one word a POSIX shell reads back as s: as it is when
// it holds nothing the shell treats specially, else single-quoted.
func shellWord(s string) string {
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._@+:/=,-", r)))
	})
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pageSize is a --limit flag: how many rows a page of a list has, 1 to
// 1000 when given (the API's bounds), 0 when not (the API's default).
type pageSize int

func (p *pageSize) String() string {
	if *p == 0 {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func (p *pageSize) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want a number")
	}
	if n < 1 || n > 1000 {
		return fmt.Errorf("--limit %d: want 1 to 1000", n)
	}
	*p = pageSize(n)
	return nil
}
