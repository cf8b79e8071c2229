package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "read the audit log",
		usage:   "list [--tenant T] [filters] [--follow]",
		example: "edgeauth admin audit list --tenant acme --event login.failed --since 24h\n" +
			"edgeauth admin audit list --follow",
		sub: []*command{{
			name: "list",
			summary: "list audit events, newest first, a page at a time (--all: every page); " +
				"--follow prints the latest and then the new ones as they come, oldest first, until interrupted",
			usage: "[--tenant T] [--event NAME] [--since TIME] [--until TIME] [--limit N] [--before ID | --all | --follow]",
			example: "edgeauth admin audit list --tenant acme --event client.created --since 2026-01-01T00:00:00Z\n" +
				"edgeauth admin audit list --tenant acme --before 1200       # the page after event 1200\n" +
				"edgeauth admin audit list --follow -o json | jq .event      # one event per line",
			flags: func(fs *flag.FlagSet) runFunc { return newAuditFlags(fs).list },
		}},
	}
}

type auditFlags struct {
	tenant, event, since, until string
	before                      int64
	limit                       pageSize
	all, follow                 bool
	interval                    time.Duration
}

func newAuditFlags(fs *flag.FlagSet) *auditFlags {
	f := &auditFlags{}
	fs.StringVar(&f.tenant, "tenant", "", "one tenant's events (default: every event, those of no tenant too)")
	fs.StringVar(&f.event, "event", "", "only events of this `NAME`, e.g. login.failed")
	fs.StringVar(&f.since, "since", "", "only events at or after `TIME`: RFC 3339, or a duration ago (90m, 24h, 7d)")
	fs.StringVar(&f.until, "until", "", "only events before `TIME`: RFC 3339, or a duration ago")
	fs.Var(&f.limit, "limit", "`N` events per page, 1-1000 (default 100; with --follow, 10 to start with)")
	fs.Int64Var(&f.before, "before", 0, "the page after this event `ID` (the next_before of the page before)")
	fs.BoolVar(&f.all, "all", false, "every page, not just the first")
	fs.BoolVar(&f.follow, "follow", false, "keep polling for new events until interrupted")
	fs.DurationVar(&f.interval, "interval", 2*time.Second, "with --follow, how often to poll")
	return f
}

type auditEvent struct {
	ID      int64           `json:"id"`
	Tenant  string          `json:"tenant"`
	Time    string          `json:"time"`
	Event   string          `json:"event"`
	Actor   string          `json:"actor"`
	Subject string          `json:"subject"`
	Detail  json.RawMessage `json:"detail"`
	raw     json.RawMessage // as the API sent it
}

// query checks the flags and makes the query of the first page.
func (f *auditFlags) query(now time.Time) (url.Values, error) {
	q := url.Values{}
	switch {
	case f.before < 0:
		return nil, usagef("--before %d: want an event id", f.before)
	case f.follow && (f.all || f.before != 0 || f.until != ""):
		return nil, usagef("--follow shows the newest events: it does not go with --all, --before or --until")
	case f.all && f.before != 0:
		return nil, usagef("--all starts at the newest event: it does not go with --before")
	case f.follow && f.interval < 100*time.Millisecond:
		return nil, usagef("--interval %v: want 100ms or more", f.interval)
	}
	for name, v := range map[string]string{"since": f.since, "until": f.until} {
		if v == "" {
			continue
		}
		t, err := parseSince(v, now)
		if err != nil {
			return nil, usagef("--%s %q: want an RFC 3339 time (2026-01-02T15:04:05Z) or a duration ago (90m, 24h, 7d)", name, v)
		}
		q.Set(name, t)
	}
	if f.event != "" {
		q.Set("event", f.event)
	}
	if f.limit != 0 {
		q.Set("limit", strconv.Itoa(int(f.limit)))
	}
	if f.before != 0 {
		q.Set("before", strconv.FormatInt(f.before, 10))
	}
	return q, nil
}

// parseSince reads an RFC 3339 time, or a duration before now.
func parseSince(v string, now time.Time) (string, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return "", err
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return "", err
		}
	}
	if d <= 0 {
		return "", errors.New("not a positive duration")
	}
	return now.Add(-d).UTC().Format(time.RFC3339), nil
}

func (f *auditFlags) path() string {
	if f.tenant != "" {
		return apiPath("tenants", f.tenant, "audit")
	}
	return apiPath("audit")
}

func (f *auditFlags) list(ctx context.Context, c *call) error {
	q, err := f.query(c.sys.now())
	if err != nil {
		return err
	}
	if f.follow {
		return f.followLog(ctx, c, q)
	}
	return listing[auditEvent]{
		fetch: func(ctx context.Context, next string) (page[auditEvent], error) {
			if next != "" {
				q.Set("before", next)
			}
			return f.page(ctx, c, q)
		},
		key:   "events",
		table: func(w io.Writer, events []auditEvent) error { return eventTable(w, events, true, nil) },
		more: func(next string) string {
			return fmt.Sprintf("More events: add --before %s for the next page, or --all.", next)
		},
	}.show(ctx, c, f.all)
}

// page fetches one page of events; its next is the next_before.
func (f *auditFlags) page(ctx context.Context, c *call, q url.Values) (page[auditEvent], error) {
	var p struct {
		Events     []json.RawMessage `json:"events"`
		NextBefore int64             `json:"next_before"`
	}
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: f.path(), query: q}, &p)
	if err != nil {
		return page[auditEvent]{}, err
	}
	out := page[auditEvent]{raw: raw, raws: p.Events, items: make([]auditEvent, len(p.Events))}
	if p.NextBefore != 0 {
		out.next = strconv.FormatInt(p.NextBefore, 10)
	}
	for i, r := range p.Events {
		if err := json.Unmarshal(r, &out.items[i]); err != nil {
			return page[auditEvent]{}, fmt.Errorf("audit event %d of the answer: %w", i, err)
		}
		out.items[i].raw = r
	}
	return out, nil
}

// followWidths keep --follow's columns in place from one poll to the
// next: a table is aligned per poll, so its cells start this wide.
var followWidths = []int{6, 20, 12, 26, 8, 22}

// eventTable writes events as a table; header says whether it starts
// with the column names, widths gives the columns their least widths.
func eventTable(w io.Writer, events []auditEvent, header bool, widths []int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) {
		for i := range cells {
			cells[i] = cell(cells[i])
			if i < len(widths) {
				cells[i] = fmt.Sprintf("%-*s", widths[i], cells[i])
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if header {
		row("ID", "TIME", "TENANT", "EVENT", "ACTOR", "SUBJECT", "DETAIL")
	}
	for _, e := range events {
		row(strconv.FormatInt(e.ID, 10), e.Time, e.Tenant, e.Event, e.Actor, e.Subject, compact(e.Detail))
	}
	return tw.Flush()
}

// followLog prints the latest events, then polls for newer ones until ctx
// is done (an interrupt), which ends it without an error. Events come
// oldest first; with -o json one event object per line. A poll that fails
// for a reason that may pass (the server unreachable, a 5xx) is reported
// and retried; any other failure ends it.
func (f *auditFlags) followLog(ctx context.Context, c *call, q url.Values) error {
	if f.limit == 0 {
		q.Set("limit", "10")
	}
	first, err := f.page(ctx, c, q)
	if err != nil {
		return err
	}
	var last int64
	if len(first.items) > 0 {
		last = first.items[0].ID
	}
	if err := f.print(c, first.items, true); err != nil {
		return err
	}
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	q.Set("limit", "100")
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		events, err := f.newer(ctx, c, q, last)
		switch {
		case ctx.Err() != nil:
			return nil
		case transient(err):
			c.note("edgeauth: %v; trying again", err)
			continue
		case err != nil:
			return err
		}
		if len(events) > 0 {
			last = events[0].ID
		}
		if err := f.print(c, events, false); err != nil {
			return err
		}
	}
}

// newer fetches the events after event last, newest first, a page at a
// time until it reaches last.
func (f *auditFlags) newer(ctx context.Context, c *call, q url.Values, last int64) ([]auditEvent, error) {
	q.Del("before")
	var events []auditEvent
	for {
		p, err := f.page(ctx, c, q)
		if err != nil {
			return nil, err
		}
		for _, e := range p.items {
			if e.ID <= last {
				return events, nil
			}
			events = append(events, e)
		}
		if p.next == "" {
			return events, nil
		}
		q.Set("before", p.next)
	}
}

// print writes events (newest first) oldest first.
func (f *auditFlags) print(c *call, events []auditEvent, first bool) error {
	events = slices.Clone(events)
	slices.Reverse(events)
	if c.json {
		for _, e := range events {
			if err := writeJSON(c.sys.stdout, []byte(compact(e.raw))); err != nil {
				return err
			}
		}
		return nil
	}
	if len(events) == 0 && !first {
		return nil
	}
	return eventTable(c.sys.stdout, events, first, followWidths)
}

// transient tells the errors a later poll may not meet again.
func transient(err error) bool {
	var ue *unreachableError
	var ae *apiError
	return errors.As(err, &ue) || errors.As(err, &ae) && (ae.Status/100 == 5 || ae.Status == 429)
}
