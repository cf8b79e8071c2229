package storagetest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func testAudit(t *testing.T, s storage.Store) {
	ctx := context.Background()

	// appendAll appends events in order and returns them as ListAudit
	// returns them (IDs filled in), oldest first.
	appendAll := func(t *testing.T, tenant string, events []storage.AuditEvent) []storage.AuditEvent {
		t.Helper()
		for i := range events {
			events[i].TenantID = tenant
			if err := s.AppendAudit(ctx, events[i]); err != nil {
				t.Fatalf("AppendAudit(%q) = %v; want nil", events[i].Event, err)
			}
		}
		got, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: tenant, Limit: len(events) + 1})
		if err != nil {
			t.Fatalf("ListAudit(%q) = %v; want nil", tenant, err)
		}
		if len(got) != len(events) {
			t.Fatalf("ListAudit(%q) returned %d events; want %d", tenant, len(got), len(events))
		}
		out := make([]storage.AuditEvent, len(got))
		for i, e := range got {
			out[len(got)-1-i] = e // newest first -> oldest first
		}
		for i := range out {
			if out[i].ID <= 0 || (i > 0 && out[i].ID <= out[i-1].ID) {
				t.Fatalf("ListAudit(%q) IDs not positive and increasing in append order: %+v", tenant, out)
			}
		}
		return out
	}

	t.Run("Query", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		in := []storage.AuditEvent{
			{Time: zoned(0), Event: "client.created", Actor: "admin", Subject: "c1", Detail: `{"name":"ä"}`},
			{Time: base.Add(time.Minute), Event: "login.failed", Actor: "u1"},
			{Time: base.Add(2 * time.Minute), Event: "client.created", Actor: "admin", Subject: "c2"},
			{Time: base.Add(3 * time.Minute), Event: "key.rotated", Actor: "cron", Subject: "k2"},
			{Time: base.Add(4 * time.Minute), Event: "client.created", Actor: "admin", Subject: "c3"},
		}
		all := appendAll(t, tenant, in)
		if err := s.AppendAudit(ctx, storage.AuditEvent{TenantID: other, Time: base, Event: "client.created"}); err != nil {
			t.Fatalf("AppendAudit in %q = %v; want nil", other, err)
		}
		for i, e := range all {
			want := in[i]
			want.ID, want.Time, want.Count = e.ID, norm(want.Time), 1
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("event %d mismatch (-want +got):\n%s", i, diff)
			}
			checkTimes(t, "ListAudit", map[string]time.Time{"Time": e.Time})
		}
		pick := func(idx ...int) []storage.AuditEvent {
			out := []storage.AuditEvent{}
			for _, i := range idx {
				out = append(out, all[i])
			}
			return out
		}
		tests := []struct {
			name string
			q    storage.AuditQuery
			want []storage.AuditEvent
		}{
			{"all, newest first", storage.AuditQuery{TenantID: tenant}, pick(4, 3, 2, 1, 0)},
			{"by event", storage.AuditQuery{TenantID: tenant, Event: "client.created"}, pick(4, 2, 0)},
			{"since is inclusive", storage.AuditQuery{TenantID: tenant, Since: base.Add(2 * time.Minute)}, pick(4, 3, 2)},
			{"until is exclusive", storage.AuditQuery{TenantID: tenant, Until: base.Add(2 * time.Minute)}, pick(1, 0)},
			{"since and until", storage.AuditQuery{TenantID: tenant, Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, pick(2, 1)},
			{"limit", storage.AuditQuery{TenantID: tenant, Limit: 2}, pick(4, 3)},
			{"before id", storage.AuditQuery{TenantID: tenant, BeforeID: all[3].ID}, pick(2, 1, 0)},
			{"before id, event and limit", storage.AuditQuery{TenantID: tenant, Event: "client.created", BeforeID: all[4].ID, Limit: 1}, pick(2)},
			{"no match", storage.AuditQuery{TenantID: tenant, Event: "nope"}, pick()},
			{"missing tenant", storage.AuditQuery{TenantID: "st-missing-" + suffix()}, pick()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListAudit(ctx, tt.q)
				if err != nil {
					t.Fatalf("ListAudit(%+v) = %v; want nil", tt.q, err)
				}
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("ListAudit(%+v) mismatch (-want +got):\n%s", tt.q, diff)
				}
			})
		}
	})

	t.Run("NoTenant", func(t *testing.T) {
		event := "system." + suffix()
		if err := s.AppendAudit(ctx, storage.AuditEvent{Time: base, Event: event, Actor: "anonymous"}); err != nil {
			t.Fatalf("AppendAudit(no tenant) = %v; want nil", err)
		}
		got, err := s.ListAudit(ctx, storage.AuditQuery{Event: event})
		if err != nil || len(got) != 1 || got[0].TenantID != "" || got[0].Actor != "anonymous" {
			t.Errorf("ListAudit(event %q) = %+v, %v; want the one event with no tenant", event, got, err)
		}
	})

	// CountAudit keeps one event per tenant, event, window and source, and
	// at most MaxSources sources per window: the rest count under "*".
	t.Run("Count", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		tally := func(src string) storage.Tally { return storage.Tally{Source: src, Window: time.Hour, MaxSources: 2} }
		ev := func(tn string, at time.Duration) storage.AuditEvent {
			return storage.AuditEvent{TenantID: tn, Time: base.Add(at), Event: "login.failed"}
		}
		count := func(tn, src string, at time.Duration) {
			t.Helper()
			if err := s.CountAudit(ctx, ev(tn, at), tally(src)); err != nil {
				t.Fatalf("CountAudit(%s, %s) = %v; want nil", tn, src, err)
			}
		}
		for range 3 {
			count(tenant, "ip-a", 0)
		}
		count(tenant, "ip-b", time.Minute)
		for _, src := range []string{"ip-c", "ip-d", "ip-c"} { // past the cap of 2
			count(tenant, src, 2*time.Minute)
		}
		count(tenant, "ip-a", time.Hour) // the next window
		count(other, "ip-a", 0)          // another tenant
		got, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: tenant})
		if err != nil {
			t.Fatalf("ListAudit = %v", err)
		}
		type row struct {
			Source string
			Count  int64
			At     time.Time
		}
		var rows []row
		for _, e := range got {
			rows = append(rows, row{e.Source, e.Count, e.Time})
		}
		want := []row{{"ip-a", 1, norm(base.Add(time.Hour))}, {"*", 3, norm(base.Add(2 * time.Minute))}, {"ip-b", 1, norm(base.Add(time.Minute))}, {"ip-a", 3, norm(base)}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("counted events (newest first) mismatch (-want +got):\n%s", diff)
		}
		if got, _ := s.ListAudit(ctx, storage.AuditQuery{TenantID: other}); len(got) != 1 || got[0].Count != 1 {
			t.Errorf("the other tenant's events = %+v; want one, counted once", got)
		}
		err = s.CountAudit(ctx, ev("st-missing-"+suffix(), 0), tally("ip-a"))
		checkErr(t, "CountAudit of a missing tenant", err, storage.ErrNotFound)
		err = s.AppendAudit(ctx, ev("st-missing-"+suffix(), 0))
		checkErr(t, "AppendAudit of a missing tenant", err, storage.ErrNotFound)
		// Concurrent counts of one source are all counted, in one event.
		errs := race(concurrency, func(int) error { return s.CountAudit(ctx, ev(other, 3*time.Hour), tally("ip-z")) })
		for i, err := range errs {
			if err != nil {
				t.Fatalf("concurrent CountAudit #%d = %v", i, err)
			}
		}
		got, _ = s.ListAudit(ctx, storage.AuditQuery{TenantID: other, Since: base.Add(3 * time.Hour)})
		if len(got) != 1 || got[0].Count != concurrency {
			t.Errorf("%d concurrent counts = %+v; want one event counted %d times", concurrency, got, concurrency)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		tenant := newTenant(t, s)
		in := make([]storage.AuditEvent, 7)
		for i := range in {
			in[i] = storage.AuditEvent{Time: base.Add(time.Duration(i) * time.Second), Event: "e", Subject: string(rune('a' + i))}
		}
		all := appendAll(t, tenant, in)
		var got []storage.AuditEvent
		q := storage.AuditQuery{TenantID: tenant, Limit: 3}
		for page := 0; ; page++ {
			if page > len(in) {
				t.Fatalf("paging did not end after %d pages", page)
			}
			events, err := s.ListAudit(ctx, q)
			if err != nil {
				t.Fatalf("ListAudit(%+v) = %v; want nil", q, err)
			}
			if len(events) > q.Limit {
				t.Fatalf("ListAudit(%+v) returned %d events; want at most %d", q, len(events), q.Limit)
			}
			if len(events) == 0 {
				break
			}
			got = append(got, events...)
			q.BeforeID = events[len(events)-1].ID
		}
		want := make([]storage.AuditEvent, len(all))
		for i := range all {
			want[i] = all[len(all)-1-i]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("paging by BeforeID mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		tenant := newTenant(t, s)
		in := make([]storage.AuditEvent, 101)
		for i := range in {
			in[i] = storage.AuditEvent{Time: base, Event: "e"}
		}
		appendAll(t, tenant, in)
		got, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: tenant})
		if err != nil || len(got) != 100 {
			t.Errorf("ListAudit with Limit 0 = %d events, %v; want 100, nil", len(got), err)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		tenant := newTenant(t, s)
		// PruneAudit acts on every tenant. Use times long before anything
		// else the suite writes, at a random offset so that runs sharing a
		// database do not prune each other's events.
		old := time.Unix(1e9+rand.Int64N(1e8), 0).UTC()
		in := []storage.AuditEvent{
			{Time: old, Event: "old-1"},
			{Time: old.Add(time.Second), Event: "old-2"},
			{Time: old.Add(time.Minute), Event: "kept"},
		}
		all := appendAll(t, tenant, in)
		n, err := s.PruneAudit(ctx, old.Add(time.Minute))
		if err != nil {
			t.Fatalf("PruneAudit = %v; want nil", err)
		}
		// Leftovers of earlier runs in a shared database may be older still,
		// so the count is at least, not exactly, this test's two.
		if n < 2 {
			t.Errorf("PruneAudit = %d; want at least 2", n)
		}
		got, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: tenant})
		if err != nil {
			t.Fatalf("ListAudit = %v; want nil", err)
		}
		if diff := cmp.Diff(all[2:], got); diff != "" {
			t.Errorf("ListAudit after PruneAudit mismatch (-want +got):\n%s", diff)
		}
	})
}
