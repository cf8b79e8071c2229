package sqlstore

import (
	"context"
	"database/sql"

	"github.com/edgeauth/edgeauth/storage"
)

// RedeemCode implements storage.Codes. The primary key (tenant_id,
// code_hash) decides single use: of concurrent INSERTs exactly one changes
// a row; ON CONFLICT DO NOTHING turns the others into zero-row no-ops.
func (s *Store) RedeemCode(ctx context.Context, r storage.Redemption) error {
	const op = "redeem code"
	n, err := s.exec(ctx, op,
		`INSERT INTO code_redemptions (tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.TenantID, r.CodeHash, r.ClientID, r.FamilyID, unix(r.RedeemedAt), unix(r.ExpiresAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetRedemption implements storage.Codes.
func (s *Store) GetRedemption(ctx context.Context, tenantID string, codeHash []byte) (storage.Redemption, error) {
	var (
		r                 storage.Redemption
		hash              []byte
		redeemed, expires sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at
		 FROM code_redemptions WHERE tenant_id = ? AND code_hash = ?`, tenantID, codeHash).
		Scan(&r.TenantID, &hash, &r.ClientID, &r.FamilyID, &redeemed, &expires)
	if err != nil {
		return storage.Redemption{}, wrapErr("get redemption", err)
	}
	r.CodeHash = fromBlob(hash)
	r.RedeemedAt, r.ExpiresAt = fromUnix(redeemed), fromUnix(expires)
	return r, nil
}
