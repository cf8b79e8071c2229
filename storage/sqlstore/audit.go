package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// defaultAuditLimit is the page size when AuditQuery.Limit is zero.
const defaultAuditLimit = 100

// AppendAudit implements storage.Audit. The store assigns e.ID; ids only
// grow (AUTOINCREMENT). A missing tenant is ErrNotFound.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	ins := appendAudit(e)
	_, err := s.exec(ctx, "append audit", ins.query, ins.args...)
	return err
}

// appendAudit is the INSERT of e, written as INSERT ... SELECT so that a
// batch can add a WHERE clause that decides whether it happens.
func appendAudit(e storage.AuditEvent) stmt {
	return stmt{
		`INSERT INTO audit_events (tenant_id, time, event, actor, subject, detail) SELECT ?, ?, ?, ?, ?, ?`,
		[]any{nullString(e.TenantID), e.Time.Unix(), e.Event, e.Actor, e.Subject, e.Detail},
	}
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
	query := `SELECT id, tenant_id, time, event, actor, subject, detail FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, int64(limit))

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	defer rows.Close()
	var out []storage.AuditEvent
	for rows.Next() {
		var (
			e      storage.AuditEvent
			tenant sql.NullString
			at     sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &tenant, &at, &e.Event, &e.Actor, &e.Subject, &e.Detail); err != nil {
			return nil, wrapErr(op, err)
		}
		e.TenantID, e.Time = tenant.String, fromUnix(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(op, err)
	}
	return out, nil
}

// PruneAudit implements storage.Audit: it deletes events of every tenant
// with Time before before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune audit", `DELETE FROM audit_events WHERE time < ?`, before.Unix())
}
