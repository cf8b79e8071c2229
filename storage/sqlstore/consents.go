package sqlstore

import (
	"context"
	"database/sql"

	"github.com/edgeauth/edgeauth/storage"
)

// GetConsent implements storage.Consents.
func (s *Store) GetConsent(ctx context.Context, tenantID, userID, clientID string) (storage.Consent, error) {
	var (
		c       storage.Consent
		granted sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT tenant_id, user_id, client_id, scope, granted_at FROM consents
		 WHERE tenant_id = ? AND user_id = ? AND client_id = ?`, tenantID, userID, clientID).
		Scan(&c.TenantID, &c.UserID, &c.ClientID, &c.Scope, &granted)
	if err != nil {
		return storage.Consent{}, wrapErr("get consent", err)
	}
	c.GrantedAt = fromUnix(granted)
	return c, nil
}

// PutConsent implements storage.Consents with one upsert. A missing
// tenant, user or client is ErrNotFound.
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.exec(ctx, "put consent",
		`INSERT INTO consents (tenant_id, user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (tenant_id, user_id, client_id)
		 DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at`,
		c.TenantID, c.UserID, c.ClientID, c.Scope, unix(c.GrantedAt))
	return err
}
