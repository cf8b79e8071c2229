package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// RedeemCode implements storage.Codes in one batch. The primary key
// (tenant_id, code_hash) decides single use: of concurrent INSERTs exactly
// one succeeds, the others fail on the key, and a failed statement undoes
// its whole batch, so the loser stores no family and no event. A family
// of a user deleted since fails the batch on its foreign key; one born
// revoked is read back in the same batch.
func (s *Store) RedeemCode(ctx context.Context, r storage.Redemption, family *storage.RefreshFamily, issued *storage.AuditEvent) error {
	const op = "redeem code"
	stmts := []stmt{{
		`INSERT INTO code_redemptions (tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{r.TenantID, r.CodeHash, r.ClientID, r.FamilyID, unix(r.RedeemedAt), unix(r.ExpiresAt)},
	}}
	if family == nil {
		if issued != nil {
			stmts = append(stmts, appendAudit(*issued))
		}
		_, err := s.batch(ctx, op, stmts...)
		return err
	}
	// The family is born revoked if its session has ended or its user is
	// disabled (createFamily); then the event is not written, and the
	// read back says so.
	live := ` AND EXISTS (SELECT 1 FROM refresh_families WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL)`
	stmts = append(stmts, createFamily(*family))
	if issued != nil {
		ins := appendAudit(*issued)
		ins.query += live
		ins.args = append(ins.args, family.TenantID, family.ID)
		stmts = append(stmts, ins)
	}
	stmts = append(stmts, stmt{`SELECT revoked_at FROM refresh_families WHERE tenant_id = ? AND id = ?`, []any{family.TenantID, family.ID}})
	res, err := s.batchResults(ctx, op, stmts...)
	if err != nil {
		return err
	}
	if rows := res[len(res)-1].rows; len(rows) != 1 || rows[0][0] != nil {
		return conflict(op)
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

// PruneExpired implements storage.Store: one batch of two DELETEs (one
// round trip, atomic), one per table, of every tenant's rows with
// expires_at before before. A NULL expires_at (no expiry) is never before
// anything, so those rows stay. Revoked families are deleted on the same
// rule as the others: by expires_at alone.
func (s *Store) PruneExpired(ctx context.Context, before time.Time) (redemptions, families int64, err error) {
	n, err := s.batch(ctx, "prune expired",
		stmt{`DELETE FROM code_redemptions WHERE expires_at < ?`, []any{before.Unix()}},
		stmt{`DELETE FROM refresh_families WHERE expires_at < ?`, []any{before.Unix()}},
	)
	if err != nil {
		return 0, 0, err
	}
	return n[0], n[1], nil
}
