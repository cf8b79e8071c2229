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

// GetLoginState implements storage.Lockouts: the username, as a one-row
// subquery, LEFT JOINed with the user and the streak, so the query always
// returns one row and each side is NULL when it is missing.
func (s *Store) GetLoginState(ctx context.Context, tenantID, username string) (storage.LoginState, error) {
	const op = "get login state"
	var (
		u           optionalUser
		count, last sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT u.tenant_id, u.id, u.username, u.email, u.password_hash, u.roles, u.created_at, u.updated_at,
		        f.count, f.last_at
		 FROM (SELECT ? AS tenant_id, ? AS username) k
		 LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.username = k.username
		 LEFT JOIN login_failures f ON f.tenant_id = k.tenant_id AND f.username = k.username`,
		tenantID, username).Scan(append(u.dest(), &count, &last)...)
	if err != nil {
		return storage.LoginState{}, wrapErr(op, err)
	}
	var st storage.LoginState
	if st.User, err = u.user(op); err != nil {
		return storage.LoginState{}, err
	}
	if count.Valid {
		st.Failures = &storage.LoginFailures{Count: count.Int64, Last: fromUnix(last)}
	}
	return st, nil
}

// PruneLoginFailures implements storage.Lockouts.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune login failures", `DELETE FROM login_failures WHERE last_at < ?`, before.Unix())
}

// ResetLoginFailures implements storage.Lockouts.
func (s *Store) ResetLoginFailures(ctx context.Context, tenantID, username string) error {
	_, err := s.exec(ctx, "reset login failures",
		`DELETE FROM login_failures WHERE tenant_id = ? AND username = ?`, tenantID, username)
	return err
}
