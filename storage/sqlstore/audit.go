package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// defaultAuditLimit is the page size when AuditQuery.Limit is zero.
const defaultAuditLimit = 100

// AppendAudit implements storage.Audit. The store assigns e.ID; ids only
// grow (AUTOINCREMENT). A missing tenant is ErrNotFound: events refer to
// no tenant row (they outlive it), so the INSERT checks it exists.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	const op = "append audit"
	ins := appendAudit(e)
	n, err := s.exec(ctx, op, ins.query, ins.args...)
	if err == nil && n == 0 {
		return notFound(op)
	}
	return err
}

// appendAudit is the INSERT of e, written as INSERT ... SELECT ... WHERE
// the tenant exists (or e has none), so that a batch can add a further
// condition with " AND ...".
func appendAudit(e storage.AuditEvent) stmt {
	return stmt{
		`INSERT INTO audit_events (tenant_id, time, event, actor, subject, detail) SELECT ?, ?, ?, ?, ?, ?
		 WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM tenants WHERE id = ?1))`,
		[]any{nullString(e.TenantID), e.Time.Unix(), e.Event, e.Actor, e.Subject, e.Detail},
	}
}

// CountAudit implements storage.Audit in one batch of two upserts on the
// unique (tally, source): the first counts e under t.Source if the tally
// already has that source or fewer than t.MaxSources of its own; the
// second, only when the first counted nothing, under "*".
func (s *Store) CountAudit(ctx context.Context, e storage.AuditEvent, t storage.Tally) error {
	const op = "count audit"
	if t.Window <= 0 || t.MaxSources < 1 || t.Source == "" || t.Source == "*" {
		return fmt.Errorf("sqlstore: %s: a tally needs a window, a positive cap and a source other than %q", op, "*")
	}
	window := e.Time.Unix() - e.Time.Unix()%int64(t.Window/time.Second)
	tally := e.TenantID + "\x00" + e.Event + "\x00" + strconv.FormatInt(window, 10)
	upsert := func(source, cond string, args ...any) stmt {
		return stmt{
			`INSERT INTO audit_events (tenant_id, time, event, actor, subject, detail, tally, source, count)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, 1
			 WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM tenants WHERE id = ?1)) AND ` + cond + `
			 ON CONFLICT (tally, source) WHERE tally IS NOT NULL DO UPDATE SET count = count + 1`,
			append([]any{nullString(e.TenantID), e.Time.Unix(), e.Event, e.Actor, e.Subject, e.Detail, tally, source}, args...),
		}
	}
	n, err := s.batch(ctx, op,
		upsert(t.Source, `(EXISTS (SELECT 1 FROM audit_events WHERE tally = ?7 AND source = ?8)
		 OR (SELECT COUNT(*) FROM audit_events WHERE tally = ?7 AND source <> '*') < ?9)`, t.MaxSources),
		upsert("*", `NOT EXISTS (SELECT 1 FROM audit_events WHERE tally = ?7 AND source = ?9)`, t.Source))
	if err != nil {
		return err
	}
	if n[0]+n[1] == 0 {
		return notFound(op)
	}
	return nil
}

// ListAudit implements storage.Audit: newest (highest ID) first. Since is
// inclusive and Until exclusive; an empty TenantID matches every tenant. A
// Limit that is not positive means 100.
func (s *Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	const op = "list audit"
	var (
		where []string
		args  []any
	)
	if q.TenantID != "" {
		where, args = append(where, "tenant_id = ?"), append(args, q.TenantID)
	}
	if q.Event != "" {
		where, args = append(where, "event = ?"), append(args, q.Event)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, q.Since.Unix())
	}
	if !q.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, q.Until.Unix())
	}
	if q.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, q.BeforeID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	query := `SELECT id, tenant_id, time, event, actor, subject, detail, source, count FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, int64(limit))

	return queryAll(ctx, s.conn, op, scanAuditEvent, query, args...)
}

// scanAuditEvent reads one row of id, tenant_id, time, event, actor,
// subject, detail, source, count.
func scanAuditEvent(op string, row rowScanner) (storage.AuditEvent, error) {
	var (
		e              storage.AuditEvent
		tenant, source sql.NullString
		at             sql.NullInt64
	)
	if err := row.Scan(&e.ID, &tenant, &at, &e.Event, &e.Actor, &e.Subject, &e.Detail, &source, &e.Count); err != nil {
		return storage.AuditEvent{}, wrapErr(op, err)
	}
	e.TenantID, e.Time, e.Source = tenant.String, fromUnix(at), source.String
	return e, nil
}

// PruneAudit implements storage.Audit: it deletes events of every tenant
// with Time before before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune audit", `DELETE FROM audit_events WHERE time < ?`, before.Unix())
}
