package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// allSources is the source of a username's streak over every source.
const allSources = "*"

// RecordLoginFailure implements storage.Lockouts: one upsert of the two
// rows decides both new counts, so concurrent failures are all counted.
func (s *Store) RecordLoginFailure(ctx context.Context, a storage.LoginAttempt) (storage.LoginStreaks, error) {
	const op = "record login failure"
	if a.Source == allSources {
		return storage.LoginStreaks{}, fmt.Errorf("sqlstore: %s: source %q is reserved", op, allSources)
	}
	rows, err := s.db.QueryContext(ctx,
		`INSERT INTO login_failures (tenant_id, username, source, count, last_at) VALUES (?, ?, ?, 1, ?), (?, ?, ?, 1, ?)
		 ON CONFLICT (tenant_id, username, source) DO UPDATE SET
		   count = CASE WHEN login_failures.last_at < ? THEN 1 ELSE login_failures.count + 1 END,
		   last_at = excluded.last_at
		 RETURNING source, count, last_at`,
		a.TenantID, a.Username, a.Source, a.At.Unix(), a.TenantID, a.Username, allSources, a.At.Unix(), a.At.Add(-a.Window).Unix())
	if err != nil {
		return storage.LoginStreaks{}, wrapErr(op, err)
	}
	defer rows.Close()
	var st storage.LoginStreaks
	n := 0
	for rows.Next() {
		var source string
		var f storage.LoginFailures
		var last int64
		if err := rows.Scan(&source, &f.Count, &last); err != nil {
			return storage.LoginStreaks{}, wrapErr(op, err)
		}
		f.Last = fromUnix(sql.NullInt64{Int64: last, Valid: true})
		if source == allSources {
			st.All = f
		} else {
			st.Source = f
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return storage.LoginStreaks{}, wrapErr(op, err)
	}
	if n != 2 {
		return storage.LoginStreaks{}, fmt.Errorf("sqlstore: %s: %d rows returned, want 2", op, n)
	}
	return st, nil
}

// GetLoginState implements storage.Lockouts: the username, as a one-row
// subquery, LEFT JOINed with the user and the two streaks, so the query
// always returns one row and each side is NULL when it is missing.
func (s *Store) GetLoginState(ctx context.Context, tenantID, username, source string) (storage.LoginState, error) {
	const op = "get login state"
	var (
		u                 optionalUser
		count, last       sql.NullInt64
		allCount, allLast sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT `+joinedUserColumns+`,
		        f.count, f.last_at, g.count, g.last_at
		 FROM (SELECT ? AS tenant_id, ? AS username) k
		 LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.username = k.username
		 LEFT JOIN login_failures f ON f.tenant_id = k.tenant_id AND f.username = k.username AND f.source = ?
		 LEFT JOIN login_failures g ON g.tenant_id = k.tenant_id AND g.username = k.username AND g.source = ?`,
		tenantID, username, source, allSources).Scan(append(u.dest(), &count, &last, &allCount, &allLast)...)
	if err != nil {
		return storage.LoginState{}, wrapErr(op, err)
	}
	var st storage.LoginState
	if st.User, err = u.user(op); err != nil {
		return storage.LoginState{}, err
	}
	if count.Valid && source != allSources {
		st.Failures = &storage.LoginFailures{Count: count.Int64, Last: fromUnix(last)}
	}
	if allCount.Valid {
		st.AllFailures = &storage.LoginFailures{Count: allCount.Int64, Last: fromUnix(allLast)}
	}
	return st, nil
}

// PruneLoginFailures implements storage.Lockouts.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune login failures", `DELETE FROM login_failures WHERE last_at < ?`, before.Unix())
}

// ResetLoginFailures implements storage.Lockouts: every source's streak.
func (s *Store) ResetLoginFailures(ctx context.Context, tenantID, username string) error {
	_, err := s.exec(ctx, "reset login failures",
		`DELETE FROM login_failures WHERE tenant_id = ? AND username = ?`, tenantID, username)
	return err
}
