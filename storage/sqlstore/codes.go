package sqlstore

import (
	"context"
	"database/sql"

	"github.com/edgeauth/edgeauth/storage"
)

// RedeemCode implements storage.Codes in one batch. The primary key
// (tenant_id, code_hash) decides single use: of concurrent INSERTs exactly
// one succeeds, the others fail on the key, and a failed statement undoes
// its whole batch, so the loser stores no family and no event.
func (s *Store) RedeemCode(ctx context.Context, r storage.Redemption, family *storage.RefreshFamily, issued *storage.AuditEvent) error {
	stmts := []stmt{{
		`INSERT INTO code_redemptions (tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{r.TenantID, r.CodeHash, r.ClientID, r.FamilyID, unix(r.RedeemedAt), unix(r.ExpiresAt)},
	}}
	if family != nil {
		stmts = append(stmts, createFamily(*family))
	}
	if issued != nil {
		stmts = append(stmts, appendAudit(*issued))
	}
	_, err := s.batch(ctx, "redeem code", stmts...)
	return err
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
