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
	generation, created_at, rotated_at, expires_at, revoked_at`

func scanFamily(op string, row *sql.Row) (storage.RefreshFamily, error) {
	var (
		f                                 storage.RefreshFamily
		user                              sql.NullString
		hash                              []byte
		auth, created, rotated, exp, revk sql.NullInt64
	)
	err := row.Scan(&f.TenantID, &f.ID, &f.ClientID, &user, &f.Scope, &f.Resource, &auth, &hash,
		&f.Generation, &created, &rotated, &exp, &revk)
	if err != nil {
		return storage.RefreshFamily{}, wrapErr(op, err)
	}
	f.UserID = user.String
	f.TokenHash = fromBlob(hash)
	f.AuthTime, f.CreatedAt, f.RotatedAt = fromUnix(auth), fromUnix(created), fromUnix(rotated)
	f.ExpiresAt, f.RevokedAt = fromUnix(exp), fromUnix(revk)
	return f, nil
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

// createFamily is the INSERT of f.
func createFamily(f storage.RefreshFamily) stmt {
	return stmt{
		`INSERT INTO refresh_families (` + familyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{f.TenantID, f.ID, f.ClientID, nullString(f.UserID), f.Scope, f.Resource, unix(f.AuthTime),
			blob(f.TokenHash), f.Generation, unix(f.CreatedAt), unix(f.RotatedAt), unix(f.ExpiresAt), unix(f.RevokedAt)},
	}
}

// GetRefreshFamily implements storage.RefreshTokens.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, id string) (storage.RefreshFamily, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+familyColumns+` FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanFamily("get refresh family", row)
}

// grantQuery reads a family and, LEFT JOINed, its user (the user's
// columns renamed: D1 returns a batch's rows as objects keyed by name).
const grantQuery = `SELECT f.tenant_id, f.id, f.client_id, f.user_id, f.scope, f.resource, f.auth_time, f.token_hash,
	        f.generation, f.created_at, f.rotated_at, f.expires_at, f.revoked_at,
	        u.tenant_id AS u_tenant_id, u.id AS u_id, u.username AS u_username, u.email AS u_email,
	        u.password_hash AS u_password_hash, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at
	 FROM refresh_families f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
	 WHERE f.tenant_id = ? AND f.id = ?`

// grantRow is one row of grantQuery.
type grantRow struct {
	f                                 storage.RefreshFamily
	user                              sql.NullString
	hash                              []byte
	auth, created, rotated, exp, revk sql.NullInt64
	u                                 optionalUser
}

func (g *grantRow) dest() []any {
	return append([]any{&g.f.TenantID, &g.f.ID, &g.f.ClientID, &g.user, &g.f.Scope, &g.f.Resource, &g.auth, &g.hash,
		&g.f.Generation, &g.created, &g.rotated, &g.exp, &g.revk}, g.u.dest()...)
}

func (g *grantRow) grant(op string) (storage.RefreshFamily, *storage.User, error) {
	f := g.f
	f.UserID = g.user.String
	f.TokenHash = fromBlob(g.hash)
	f.AuthTime, f.CreatedAt, f.RotatedAt = fromUnix(g.auth), fromUnix(g.created), fromUnix(g.rotated)
	f.ExpiresAt, f.RevokedAt = fromUnix(g.exp), fromUnix(g.revk)
	owner, err := g.u.user(op)
	if err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	return f, owner, nil
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
