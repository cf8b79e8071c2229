package sqlstore

import (
	"context"
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
	n, err := s.exec(ctx, op,
		`INSERT INTO refresh_families (`+familyColumns+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		f.TenantID, f.ID, f.ClientID, nullString(f.UserID), f.Scope, f.Resource, unix(f.AuthTime),
		blob(f.TokenHash), f.Generation, unix(f.CreatedAt), unix(f.RotatedAt), unix(f.ExpiresAt), unix(f.RevokedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetRefreshFamily implements storage.RefreshTokens.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, id string) (storage.RefreshFamily, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+familyColumns+` FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanFamily("get refresh family", row)
}

// GetRefreshGrant implements storage.RefreshTokens: one SELECT with the
// user LEFT JOINed.
func (s *Store) GetRefreshGrant(ctx context.Context, tenantID, id string) (storage.RefreshFamily, *storage.User, error) {
	const op = "get refresh grant"
	var (
		f                                 storage.RefreshFamily
		user                              sql.NullString
		hash                              []byte
		auth, created, rotated, exp, revk sql.NullInt64
		uTenant, uID, uName, uEmail       sql.NullString
		uHash, uRoles                     sql.NullString
		uCreated, uUpdated                sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT f.tenant_id, f.id, f.client_id, f.user_id, f.scope, f.resource, f.auth_time, f.token_hash,
		        f.generation, f.created_at, f.rotated_at, f.expires_at, f.revoked_at,
		        u.tenant_id, u.id, u.username, u.email, u.password_hash, u.roles, u.created_at, u.updated_at
		 FROM refresh_families f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
		 WHERE f.tenant_id = ? AND f.id = ?`, tenantID, id).
		Scan(&f.TenantID, &f.ID, &f.ClientID, &user, &f.Scope, &f.Resource, &auth, &hash,
			&f.Generation, &created, &rotated, &exp, &revk,
			&uTenant, &uID, &uName, &uEmail, &uHash, &uRoles, &uCreated, &uUpdated)
	if err != nil {
		return storage.RefreshFamily{}, nil, wrapErr(op, err)
	}
	f.UserID = user.String
	f.TokenHash = fromBlob(hash)
	f.AuthTime, f.CreatedAt, f.RotatedAt = fromUnix(auth), fromUnix(created), fromUnix(rotated)
	f.ExpiresAt, f.RevokedAt = fromUnix(exp), fromUnix(revk)
	if !uID.Valid {
		return f, nil, nil
	}
	u := &storage.User{TenantID: uTenant.String, ID: uID.String, Username: uName.String, Email: uEmail.String,
		PasswordHash: uHash.String, CreatedAt: fromUnix(uCreated), UpdatedAt: fromUnix(uUpdated)}
	if u.Roles, err = fromList(uRoles.String); err != nil {
		return storage.RefreshFamily{}, nil, fmt.Errorf("sqlstore: %s: decode roles: %w", op, err)
	}
	return f, u, nil
}

// RotateRefreshToken implements storage.RefreshTokens. The UPDATE's WHERE
// clause is the whole decision (current hash, not revoked, not expired at
// now); RETURNING hands the winner the family as rotated. A family expires
// at ExpiresAt: at now == ExpiresAt it no longer rotates.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID, id string, oldHash, newHash []byte, now time.Time) (storage.RefreshFamily, error) {
	const op = "rotate refresh token"
	if len(oldHash) == 0 {
		// An empty hash is stored as NULL and would never match; say so.
		return storage.RefreshFamily{}, conflict(op)
	}
	row := s.db.QueryRowContext(ctx,
		`UPDATE refresh_families
		 SET token_hash = ?, generation = generation + 1, rotated_at = ?
		 WHERE tenant_id = ? AND id = ? AND token_hash = ? AND revoked_at IS NULL
		   AND (expires_at IS NULL OR expires_at > ?)
		 RETURNING `+familyColumns,
		blob(newHash), unix(now), tenantID, id, oldHash, now.Unix())
	f, err := scanFamily(op, row)
	if err == nil {
		return f, nil
	}
	if !isNotFound(err) {
		return storage.RefreshFamily{}, err
	}
	ok, err := s.exists(ctx, op, `SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return storage.RefreshFamily{}, err
	}
	if !ok {
		return storage.RefreshFamily{}, notFound(op)
	}
	return storage.RefreshFamily{}, conflict(op)
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
