package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
)

// GetConsent implements storage.Consents.
func (s *Store) GetConsent(ctx context.Context, tenantID, userID, clientID string) (storage.Consent, error) {
	var (
		c         storage.Consent
		resources string
		granted   sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT tenant_id, user_id, client_id, scope, resources, granted_at FROM consents
		 WHERE tenant_id = ? AND user_id = ? AND client_id = ?`, tenantID, userID, clientID).
		Scan(&c.TenantID, &c.UserID, &c.ClientID, &c.Scope, &resources, &granted)
	if err != nil {
		return storage.Consent{}, wrapErr("get consent", err)
	}
	if c.Resources, err = fromList(resources); err != nil {
		return storage.Consent{}, fmt.Errorf("sqlstore: get consent: %w", err)
	}
	c.GrantedAt = fromUnix(granted)
	return c, nil
}

// PutConsent implements storage.Consents with one upsert. A missing
// tenant, user or client is ErrNotFound.
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	const op = "put consent"
	ls, err := lists(op, c.Resources)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, op,
		`INSERT INTO consents (tenant_id, user_id, client_id, scope, resources, granted_at) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (tenant_id, user_id, client_id)
		 DO UPDATE SET scope = excluded.scope, resources = excluded.resources, granted_at = excluded.granted_at`,
		c.TenantID, c.UserID, c.ClientID, c.Scope, ls[0], unix(c.GrantedAt))
	return err
}
