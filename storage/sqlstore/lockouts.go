package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// RecordLoginFailure implements storage.Lockouts: one upsert decides the
// new count, so concurrent failures are all counted.
func (s *Store) RecordLoginFailure(ctx context.Context, tenantID, username string, now time.Time, window time.Duration) (storage.LoginFailures, error) {
	const op = "record login failure"
	var f storage.LoginFailures
	var last int64
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO login_failures (tenant_id, username, count, last_at) VALUES (?, ?, 1, ?)
		 ON CONFLICT (tenant_id, username) DO UPDATE SET
		   count = CASE WHEN login_failures.last_at < ? THEN 1 ELSE login_failures.count + 1 END,
		   last_at = excluded.last_at
		 RETURNING count, last_at`,
		tenantID, username, now.Unix(), now.Add(-window).Unix()).Scan(&f.Count, &last)
	if err != nil {
		return storage.LoginFailures{}, wrapErr(op, err)
	}
	f.Last = fromUnix(sql.NullInt64{Int64: last, Valid: true})
	return f, nil
}

// GetLoginFailures implements storage.Lockouts.
func (s *Store) GetLoginFailures(ctx context.Context, tenantID, username string) (storage.LoginFailures, error) {
	var f storage.LoginFailures
	var last int64
	err := s.db.QueryRowContext(ctx,
		`SELECT count, last_at FROM login_failures WHERE tenant_id = ? AND username = ?`, tenantID, username).Scan(&f.Count, &last)
	if err != nil {
		return storage.LoginFailures{}, wrapErr("get login failures", err)
	}
	f.Last = fromUnix(sql.NullInt64{Int64: last, Valid: true})
	return f, nil
}

// ResetLoginFailures implements storage.Lockouts.
func (s *Store) ResetLoginFailures(ctx context.Context, tenantID, username string) error {
	_, err := s.exec(ctx, "reset login failures",
		`DELETE FROM login_failures WHERE tenant_id = ? AND username = ?`, tenantID, username)
	return err
}
