package sqlstore

import (
	"bytes"
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

// GetRefreshGrant implements storage.RefreshTokens: one SELECT with the
// user LEFT JOINed.
func (s *Store) GetRefreshGrant(ctx context.Context, tenantID, id string) (storage.RefreshFamily, *storage.User, error) {
	const op = "get refresh grant"
	var (
		f                                 storage.RefreshFamily
		user                              sql.NullString
		hash                              []byte
		auth, created, rotated, exp, revk sql.NullInt64
		u                                 optionalUser
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT f.tenant_id, f.id, f.client_id, f.user_id, f.scope, f.resource, f.auth_time, f.token_hash,
		        f.generation, f.created_at, f.rotated_at, f.expires_at, f.revoked_at,
		        `+joinedUserColumns+`
		 FROM refresh_families f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.user_id
		 WHERE f.tenant_id = ? AND f.id = ?`, tenantID, id).
		Scan(append([]any{&f.TenantID, &f.ID, &f.ClientID, &user, &f.Scope, &f.Resource, &auth, &hash,
			&f.Generation, &created, &rotated, &exp, &revk}, u.dest()...)...)
	if err != nil {
		return storage.RefreshFamily{}, nil, wrapErr(op, err)
	}
	f.UserID = user.String
	f.TokenHash = fromBlob(hash)
	f.AuthTime, f.CreatedAt, f.RotatedAt = fromUnix(auth), fromUnix(created), fromUnix(rotated)
	f.ExpiresAt, f.RevokedAt = fromUnix(exp), fromUnix(revk)
	owner, err := u.user(op)
	if err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	return f, owner, nil
}

// RotateRefreshToken implements storage.RefreshTokens. The UPDATE's WHERE
// clause is the whole decision (current hash, not revoked, not expired at
// r.At). The audit event goes in the same batch, inserted only if the
// family now holds this call's rotation id: this rotation happened (a
// concurrent one to the same new hash did not). A family expires
// at ExpiresAt: at r.At == ExpiresAt it no longer rotates.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) error {
	const op = "rotate refresh token"
	tenantID, id, oldHash, newHash, now := r.TenantID, r.FamilyID, r.OldHash, r.NewHash, r.At
	switch {
	case len(oldHash) == 0:
		// An empty hash is stored as NULL and would never match; say so.
		return conflict(op)
	case len(newHash) == 0 || bytes.Equal(oldHash, newHash):
		return fmt.Errorf("sqlstore: %s: the new hash must be set and differ from the old one", op)
	}
	// This call's own id, set by the UPDATE: the audit event is written
	// only if this rotation is the one that happened.
	rotation := rand.Text()
	stmts := []stmt{{
		`UPDATE refresh_families
		 SET token_hash = ?, generation = generation + 1, rotated_at = ?, rotation = ?
		 WHERE tenant_id = ? AND id = ? AND token_hash = ? AND revoked_at IS NULL
		   AND (expires_at IS NULL OR expires_at > ?)`,
		[]any{newHash, unix(now), rotation, tenantID, id, oldHash, now.Unix()},
	}}
	if r.Issued != nil {
		ins := appendAudit(*r.Issued)
		ins.query += ` AND EXISTS (SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ? AND rotation = ?)`
		ins.args = append(ins.args, tenantID, id, rotation)
		stmts = append(stmts, ins)
	}
	n, err := s.batch(ctx, op, stmts...)
	if err != nil {
		return err
	}
	if n[0] == 1 {
		return nil
	}
	ok, err := s.exists(ctx, op, `SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(op)
	}
	return conflict(op)
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
