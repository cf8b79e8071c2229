package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
)

const userColumns = `tenant_id, id, username, email, password_hash, roles, created_at, updated_at`

func scanUser(op string, row *sql.Row) (storage.User, error) {
	var (
		u                storage.User
		roles            string
		created, updated sql.NullInt64
	)
	err := row.Scan(&u.TenantID, &u.ID, &u.Username, &u.Email, &u.PasswordHash, &roles, &created, &updated)
	if err != nil {
		return storage.User{}, wrapErr(op, err)
	}
	if u.Roles, err = fromList(roles); err != nil {
		return storage.User{}, fmt.Errorf("sqlstore: %s: decode roles: %w", op, err)
	}
	u.CreatedAt, u.UpdatedAt = fromUnix(created), fromUnix(updated)
	return u, nil
}

// CreateUser implements storage.Users. A taken id or username is
// ErrAlreadyExists; ON CONFLICT DO NOTHING covers both unique keys.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	const op = "create user"
	l, err := lists(op, u.Roles)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.TenantID, u.ID, u.Username, u.Email, u.PasswordHash, l[0], unix(u.CreatedAt), unix(u.UpdatedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetUser implements storage.Users.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (storage.User, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanUser("get user", row)
}

// GetUserByUsername implements storage.Users.
func (s *Store) GetUserByUsername(ctx context.Context, tenantID, username string) (storage.User, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND username = ?`, tenantID, username)
	return scanUser("get user by username", row)
}

// DeleteUser implements storage.Users. The user's consents and refresh
// families go in the same statement (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	const op = "delete user"
	n, err := s.exec(ctx, op, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}
