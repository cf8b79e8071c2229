package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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

// ListConsents implements storage.Consents.
func (s *Store) ListConsents(ctx context.Context, tenantID, userID string) ([]storage.Consent, error) {
	return queryAll(ctx, s.conn, "list consents", scanConsent,
		`SELECT tenant_id, user_id, client_id, scope, resources, granted_at FROM consents
		 WHERE tenant_id = ? AND user_id = ? ORDER BY client_id`, tenantID, userID)
}

// scanConsent reads one row of tenant_id, user_id, client_id, scope,
// resources, granted_at.
func scanConsent(op string, row rowScanner) (storage.Consent, error) {
	var (
		c         storage.Consent
		resources string
		granted   sql.NullInt64
	)
	err := row.Scan(&c.TenantID, &c.UserID, &c.ClientID, &c.Scope, &resources, &granted)
	if err != nil {
		return storage.Consent{}, wrapErr(op, err)
	}
	if c.Resources, err = fromList(resources); err != nil {
		return storage.Consent{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	c.GrantedAt = fromUnix(granted)
	return c, nil
}

// RevokeConsents implements storage.Consents in one batch: the families
// first, chosen by the consents the DELETE then removes.
func (s *Store) RevokeConsents(ctx context.Context, tenantID, userID, clientID string, at time.Time) (int64, int64, error) {
	const op = "revoke consents"
	which := `tenant_id = ? AND user_id = ?`
	args := []any{tenantID, userID}
	if clientID != "" {
		which += ` AND client_id = ?`
		args = append(args, clientID)
	}
	n, err := s.batch(ctx, op,
		stmt{`UPDATE refresh_families SET revoked_at = ?
		 WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		   AND client_id IN (SELECT client_id FROM consents WHERE ` + which + `)`,
			append([]any{unix(at), tenantID, userID, at.Unix()}, args...)},
		stmt{`DELETE FROM consents WHERE ` + which, args},
	)
	if err != nil {
		return 0, 0, err
	}
	return n[1], n[0], nil
}
