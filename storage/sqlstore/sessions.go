package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// sessions is the part of the Store that holds browser sessions.
type sessions struct{ *conn }

const sessionColumns = `s.tenant_id, s.id, s.secret_hash, s.user_id, s.auth_time, s.created_at, s.expires_at, s.revoked_at`

// sessionRow holds the Scan destinations of sessionColumns.
type sessionRow struct {
	s                              storage.Session
	hash                           []byte
	auth, created, expires, revokd sql.NullInt64
}

func (r *sessionRow) dest() []any {
	return []any{&r.s.TenantID, &r.s.ID, &r.hash, &r.s.UserID, &r.auth, &r.created, &r.expires, &r.revokd}
}

func (r *sessionRow) session() storage.Session {
	s := r.s
	s.SecretHash = fromBlob(r.hash)
	s.AuthTime, s.CreatedAt, s.ExpiresAt, s.RevokedAt = fromUnix(r.auth), fromUnix(r.created), fromUnix(r.expires), fromUnix(r.revokd)
	return s
}

// CreateSession implements storage.Sessions in one batch: the INSERT
// (a taken id fails on the key, a missing tenant or user on the foreign
// key, and either undoes the batch), then the DELETE of the user's
// sessions past the keep-1 newest others (sessions_user). The new session
// is never among those deleted, even when others share its second.
func (s sessions) CreateSession(ctx context.Context, se storage.Session, keep int) error {
	const op = "create session"
	if keep < 1 {
		return fmt.Errorf("sqlstore: %s: keep must be at least 1", op)
	}
	if len(se.SecretHash) == 0 {
		return fmt.Errorf("sqlstore: %s: the secret hash is required", op)
	}
	_, err := s.batch(ctx, op,
		stmt{`INSERT INTO sessions (tenant_id, id, secret_hash, user_id, auth_time, created_at, expires_at, revoked_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			[]any{se.TenantID, se.ID, se.SecretHash, se.UserID, se.AuthTime.Unix(), se.CreatedAt.Unix(), se.ExpiresAt.Unix(), unix(se.RevokedAt)}},
		stmt{`DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id <> ? AND id NOT IN (
		   SELECT id FROM sessions WHERE tenant_id = ? AND user_id = ? AND id <> ?
		   ORDER BY created_at DESC, id DESC LIMIT ?)`,
			[]any{se.TenantID, se.UserID, se.ID, se.TenantID, se.UserID, se.ID, keep - 1}},
	)
	return err
}

// GetSession implements storage.Sessions: the session JOINed with its user
// in one SELECT (the foreign key keeps the user there).
func (s sessions) GetSession(ctx context.Context, tenantID, id string) (storage.Session, storage.User, error) {
	const op = "get session"
	var (
		r sessionRow
		u optionalUser
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT `+sessionColumns+`, `+userColumnsOf("u")+`
		 FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
		 WHERE s.tenant_id = ? AND s.id = ?`, tenantID, id).Scan(append(r.dest(), u.dest()...)...)
	if err != nil {
		return storage.Session{}, storage.User{}, wrapErr(op, err)
	}
	user, err := u.user(op)
	if err != nil {
		return storage.Session{}, storage.User{}, err
	}
	if user == nil {
		return storage.Session{}, storage.User{}, notFound(op)
	}
	return r.session(), *user, nil
}

// ListSessions implements storage.Sessions (sessions_user).
func (s sessions) ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.Session, error) {
	return queryAll(ctx, s.conn, "list sessions", func(op string, row rowScanner) (storage.Session, error) {
		var r sessionRow
		if err := row.Scan(r.dest()...); err != nil {
			return storage.Session{}, wrapErr(op, err)
		}
		return r.session(), nil
	}, `SELECT `+sessionColumns+` FROM sessions s
		 WHERE s.tenant_id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
		 ORDER BY s.created_at DESC, s.id`, tenantID, userID, now.Unix())
}

// EndSessions implements storage.Sessions in one batch: the families
// given in the selected sessions first (their subquery reads the sessions
// still live), then the sessions. Each UPDATE's WHERE clause skips rows
// already revoked, so of concurrent callers one counts each row.
func (s sessions) EndSessions(ctx context.Context, q storage.SessionQuery, at time.Time) (int64, int64, error) {
	const op = "end sessions"
	if q.TenantID == "" || q.UserID == "" && q.ID == "" {
		return 0, 0, fmt.Errorf("sqlstore: %s: a session query needs a tenant and a user or an id", op)
	}
	which := `tenant_id = ? AND revoked_at IS NULL AND expires_at > ?`
	args := []any{q.TenantID, at.Unix()}
	for _, c := range []struct{ col, v string }{{"user_id", q.UserID}, {"id", q.ID}} {
		if c.v != "" {
			which += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	var stmts []stmt
	if q.Grants {
		stmts = append(stmts, stmt{`UPDATE refresh_families SET revoked_at = ?
		 WHERE tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		   AND session_id IN (SELECT id FROM sessions WHERE ` + which + `)`,
			append([]any{unix(at), q.TenantID, at.Unix()}, args...)})
	}
	stmts = append(stmts, stmt{`UPDATE sessions SET revoked_at = ? WHERE ` + which, append([]any{unix(at)}, args...)})
	n, err := s.batch(ctx, op, stmts...)
	if err != nil {
		return 0, 0, err
	}
	if q.Grants {
		return n[1], n[0], nil
	}
	return n[0], 0, nil
}

// PruneSessions implements storage.Sessions (sessions_expires).
func (s sessions) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune sessions", `DELETE FROM sessions WHERE expires_at < ?`, before.Unix())
}
