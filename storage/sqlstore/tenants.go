package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
)

// CreateTenant implements storage.Tenants.
func (s *Store) CreateTenant(ctx context.Context, t storage.Tenant) error {
	const op = "create tenant"
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return fmt.Errorf("sqlstore: %s: encode settings: %w", op, err)
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO tenants (id, name, settings, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.ID, t.Name, string(settings), unix(t.CreatedAt), unix(t.UpdatedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetTenant implements storage.Tenants.
func (s *Store) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT id, name, settings, created_at, updated_at, version FROM tenants WHERE id = ?`, id)
	return scanTenant("get tenant", row)
}

// ListTenants implements storage.Tenants.
func (s *Store) ListTenants(ctx context.Context, after string, limit int) ([]storage.Tenant, error) {
	return queryAll(ctx, s.conn, "list tenants", scanTenant,
		`SELECT id, name, settings, created_at, updated_at, version FROM tenants WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// scanTenant reads one row of id, name, settings, created_at, updated_at,
// version.
func scanTenant(op string, row rowScanner) (storage.Tenant, error) {
	var (
		t                storage.Tenant
		settings         string
		created, updated sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &settings, &created, &updated, &t.Version); err != nil {
		return storage.Tenant{}, wrapErr(op, err)
	}
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return storage.Tenant{}, fmt.Errorf("sqlstore: %s: decode settings: %w", op, err)
	}
	t.CreatedAt, t.UpdatedAt = fromUnix(created), fromUnix(updated)
	return t, nil
}

// UpdateTenant implements storage.Tenants.
func (s *Store) UpdateTenant(ctx context.Context, t storage.Tenant) error {
	const op = "update tenant"
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return fmt.Errorf("sqlstore: %s: encode settings: %w", op, err)
	}
	n, err := s.exec(ctx, op,
		`UPDATE tenants SET name = ?, settings = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		t.Name, string(settings), unix(t.UpdatedAt), t.ID, t.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.lostUpdate(ctx, op, `SELECT 1 FROM tenants WHERE id = ?`, t.ID)
	}
	return nil
}

// DeleteTenant implements storage.Tenants. The foreign keys' ON DELETE
// CASCADE removes everything the tenant owns within the same statement.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	const op = "delete tenant"
	n, err := s.exec(ctx, op, `DELETE FROM tenants WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}
