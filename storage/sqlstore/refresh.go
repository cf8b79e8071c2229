package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

const familyColumns = `tenant_id, id, client_id, user_id, scope, resource, auth_time, token_hash,
	generation, created_at, rotated_at, expires_at, revoked_at, session_id`

// familyRow holds the Scan destinations of familyColumns.
type familyRow struct {
	f                                 storage.RefreshFamily
	user, session                     sql.NullString
	hash                              []byte
	auth, created, rotated, exp, revk sql.NullInt64
}

func (r *familyRow) dest() []any {
	return []any{&r.f.TenantID, &r.f.ID, &r.f.ClientID, &r.user, &r.f.Scope, &r.f.Resource, &r.auth, &r.hash,
		&r.f.Generation, &r.created, &r.rotated, &r.exp, &r.revk, &r.session}
}

func (r *familyRow) family() storage.RefreshFamily {
	f := r.f
	f.UserID, f.SessionID = r.user.String, r.session.String
	f.TokenHash = fromBlob(r.hash)
	f.AuthTime, f.CreatedAt, f.RotatedAt = fromUnix(r.auth), fromUnix(r.created), fromUnix(r.rotated)
	f.ExpiresAt, f.RevokedAt = fromUnix(r.exp), fromUnix(r.revk)
	return f
}

func scanFamily(op string, row rowScanner) (storage.RefreshFamily, error) {
	var r familyRow
	if err := row.Scan(r.dest()...); err != nil {
		return storage.RefreshFamily{}, wrapErr(op, err)
	}
	return r.family(), nil
}

// CreateRefreshFamily implements storage.RefreshTokens. A missing tenant,
// client or user (when UserID is set) is ErrNotFound. A zero ExpiresAt
// means the family does not expire.
func (s *Store) CreateRefreshFamily(ctx context.Context, f storage.RefreshFamily) error {
	const op = "create refresh family"
	ins := createFamily(f)
	n, err := s.exec(ctx, op, ins.query+` ON CONFLICT DO NOTHING`, ins.args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// createFamily is the INSERT of f, written as INSERT ... SELECT ... WHERE
// 1 so that a batch can add a condition with " AND ...". A family given in
// a session that has ended, or to a user who is disabled, is born revoked:
// at the session's end, or at its creation. The subqueries read the rows
// of this statement's moment, so a sign-out or a disabling that committed
// before it (the code was issued before them, redeemed after) is seen, in
// the same round trip.
func createFamily(f storage.RefreshFamily) stmt {
	return stmt{
		`INSERT INTO refresh_families (` + familyColumns + `) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		   COALESCE(?, (SELECT revoked_at FROM sessions WHERE tenant_id = ? AND id = ?),
		               (SELECT ? FROM users WHERE tenant_id = ? AND id = ? AND disabled = 1)), ?
		 WHERE 1`,
		[]any{f.TenantID, f.ID, f.ClientID, nullString(f.UserID), f.Scope, f.Resource, unix(f.AuthTime),
			blob(f.TokenHash), f.Generation, unix(f.CreatedAt), unix(f.RotatedAt), unix(f.ExpiresAt),
			unix(f.RevokedAt), f.TenantID, f.SessionID, unix(f.CreatedAt), f.TenantID, f.UserID,
			nullString(f.SessionID)},
	}
}

// GetRefreshFamily implements storage.RefreshTokens.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, id string) (storage.RefreshFamily, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+familyColumns+` FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanFamily("get refresh family", row)
}

// grantQuery reads a family and, LEFT JOINed, its user.
var grantQuery = `SELECT f.tenant_id, f.id, f.client_id, f.user_id, f.scope, f.resource, f.auth_time, f.token_hash,
	        f.generation, f.created_at, f.rotated_at, f.expires_at, f.revoked_at, f.session_id, ` + userColumnsOf("u") + `
	 FROM refresh_families f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
	 WHERE f.tenant_id = ? AND f.id = ?`

// grantRow is one row of grantQuery.
type grantRow struct {
	r familyRow
	u optionalUser
}

func (g *grantRow) dest() []any { return append(g.r.dest(), g.u.dest()...) }

func (g *grantRow) grant(op string) (storage.RefreshFamily, *storage.User, error) {
	owner, err := g.u.user(op)
	if err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	return g.r.family(), owner, nil
}

// GetRefreshGrant implements storage.RefreshTokens: one SELECT with the
// user LEFT JOINed.
func (s *Store) GetRefreshGrant(ctx context.Context, tenantID, id string) (storage.RefreshFamily, *storage.User, error) {
	const op = "get refresh grant"
	var g grantRow
	if err := s.db.QueryRowContext(ctx, grantQuery, tenantID, id).Scan(g.dest()...); err != nil {
		return storage.RefreshFamily{}, nil, wrapErr(op, err)
	}
	return g.grant(op)
}

// RotateRefreshToken implements storage.RefreshTokens in one batch (one
// round trip): the UPDATE, whose WHERE clause is the whole decision
// (current hash, not revoked, not expired at r.At, the client's); the
// audit event, inserted only if the family now holds this call's rotation
// id (this rotation happened, not a concurrent one to the same new hash);
// and the read of the rotated family and its user, on the same condition.
// A family expires at ExpiresAt: at r.At == ExpiresAt it no longer
// rotates. Only when nothing rotated does a second query tell ErrNotFound
// from ErrConflict.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshFamily, *storage.User, error) {
	const op = "rotate refresh token"
	tenantID, id, oldHash, newHash, now := r.TenantID, r.FamilyID, r.OldHash, r.NewHash, r.At
	switch {
	case len(oldHash) == 0:
		// An empty hash is stored as NULL and would never match; say so.
		return storage.RefreshFamily{}, nil, conflict(op)
	case len(newHash) == 0 || bytes.Equal(oldHash, newHash):
		return storage.RefreshFamily{}, nil, fmt.Errorf("sqlstore: %s: the new hash must be set and differ from the old one", op)
	}
	// This call's own id, set by the UPDATE: the audit event is written
	// and the family read back only if this rotation is the one that
	// happened.
	rotation := rand.Text()
	upd := stmt{
		`UPDATE refresh_families
		 SET token_hash = ?, generation = generation + 1, rotated_at = ?, rotation = ?
		 WHERE tenant_id = ? AND id = ? AND token_hash = ? AND revoked_at IS NULL
		   AND (expires_at IS NULL OR expires_at > ?)`,
		[]any{newHash, unix(now), rotation, tenantID, id, oldHash, now.Unix()},
	}
	if r.ClientID != "" {
		upd.query += ` AND client_id = ?`
		upd.args = append(upd.args, r.ClientID)
	}
	stmts := []stmt{upd}
	if r.Issued != nil {
		stmts = append(stmts, issuedOnRotation(*r.Issued, r.IssuedFromFamily, tenantID, id, rotation))
	}
	stmts = append(stmts, stmt{grantQuery + ` AND f.rotation = ?`, []any{tenantID, id, rotation}})
	res, err := s.batchResults(ctx, op, stmts...)
	if err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	if rows := res[len(res)-1].rows; res[0].changes == 1 && len(rows) == 1 {
		var g grantRow
		if err := scanValues(rows[0], g.dest()...); err != nil {
			return storage.RefreshFamily{}, nil, fmt.Errorf("sqlstore: %s: read back: %w", op, err)
		}
		return g.grant(op)
	}
	ok, err := s.exists(ctx, op, `SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	if !ok {
		return storage.RefreshFamily{}, nil, notFound(op)
	}
	return storage.RefreshFamily{}, nil, conflict(op)
}

// issuedOnRotation is the INSERT of e, the token.issued event of a
// rotation, made only if the family holds rotation: this rotation
// happened. fromFamily takes e's subject (unless the family has no user)
// and the "scope" member of its detail from the family, for a caller that
// rotates without having read it.
func issuedOnRotation(e storage.AuditEvent, fromFamily bool, tenantID, id, rotation string) stmt {
	if !fromFamily {
		ins := appendAudit(e)
		ins.query += ` AND EXISTS (SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ? AND rotation = ?)`
		ins.args = append(ins.args, tenantID, id, rotation)
		return ins
	}
	detail := cmp.Or(e.Detail, "{}")
	return stmt{
		`INSERT INTO audit_events (tenant_id, time, event, actor, subject, detail)
		 SELECT f.tenant_id, ?, ?, ?, COALESCE(f.user_id, ?), json_set(?, '$.scope', f.scope)
		 FROM refresh_families f WHERE f.tenant_id = ? AND f.id = ? AND f.rotation = ?`,
		[]any{e.Time.Unix(), e.Event, e.Actor, e.Subject, detail, tenantID, id, rotation},
	}
}

// RevokeRefreshFamily implements storage.RefreshTokens. COALESCE keeps the
// first revocation time, so revoking twice is not an error.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, id string, now time.Time) error {
	const op = "revoke refresh family"
	n, err := s.exec(ctx, op,
		`UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`,
		unix(now), tenantID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// ListGrants implements storage.RefreshTokens (refresh_families_user).
func (s *Store) ListGrants(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.RefreshFamily, error) {
	return queryAll(ctx, s.conn, "list grants", scanFamily,
		`SELECT `+familyColumns+` FROM refresh_families
		 WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		 ORDER BY created_at DESC, id`, tenantID, userID, now.Unix())
}

// RevokeGrants implements storage.RefreshTokens in one UPDATE.
func (s *Store) RevokeGrants(ctx context.Context, q storage.GrantQuery, at time.Time) (int64, error) {
	const op = "revoke grants"
	if q.TenantID == "" || q.UserID == "" && q.ID == "" {
		return 0, fmt.Errorf("sqlstore: %s: a grant query needs a tenant and a user or an id", op)
	}
	st := revokeGrants(q, at)
	return s.exec(ctx, op, st.query, st.args...)
}

// revokeGrants is the UPDATE that revokes the live families q selects.
func revokeGrants(q storage.GrantQuery, at time.Time) stmt {
	query := `UPDATE refresh_families SET revoked_at = ?
		 WHERE tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`
	args := []any{unix(at), q.TenantID, at.Unix()}
	for _, c := range []struct{ col, v string }{{"user_id", q.UserID}, {"id", q.ID}, {"client_id", q.ClientID}} {
		if c.v != "" {
			query += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	return stmt{query, args}
}
