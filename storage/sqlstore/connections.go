package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// upstream is the part of the Store that holds upstream connections and
// the identities linked to users.
type upstream struct{ *conn }

const connectionColumns = `tenant_id, id, kind, name, issuer, client_id, client_secret_sealed, scopes,
	create_users, store_tokens, version, created_at, updated_at`

// scanConnection reads one row of connectionColumns.
func scanConnection(op string, row rowScanner) (storage.Connection, error) {
	var (
		c                storage.Connection
		secret           []byte
		scopes           string
		create, store    int64
		created, updated sql.NullInt64
	)
	err := row.Scan(&c.TenantID, &c.ID, &c.Kind, &c.Name, &c.Issuer, &c.ClientID, &secret, &scopes,
		&create, &store, &c.Version, &created, &updated)
	if err != nil {
		return storage.Connection{}, wrapErr(op, err)
	}
	c.ClientSecretSealed = fromBlob(secret)
	c.CreateUsers, c.StoreTokens = create != 0, store != 0
	c.CreatedAt, c.UpdatedAt = fromUnix(created), fromUnix(updated)
	if c.Scopes, err = fromList(scopes); err != nil {
		return storage.Connection{}, fmt.Errorf("sqlstore: %s: decode scopes: %w", op, err)
	}
	return c, nil
}

// CreateConnection implements storage.Connections. A taken id is
// ErrAlreadyExists (ON CONFLICT DO NOTHING), a missing tenant ErrNotFound
// (the foreign key).
func (s upstream) CreateConnection(ctx context.Context, c storage.Connection) error {
	const op = "create connection"
	l, err := lists(op, c.Scopes)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO connections (`+connectionColumns+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING`,
		c.TenantID, c.ID, c.Kind, c.Name, c.Issuer, c.ClientID, blob(c.ClientSecretSealed), l[0],
		boolInt(c.CreateUsers), boolInt(c.StoreTokens), unix(c.CreatedAt), unix(c.UpdatedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetConnection implements storage.Connections.
func (s upstream) GetConnection(ctx context.Context, tenantID, id string) (storage.Connection, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanConnection("get connection", row)
}

// ListConnections implements storage.Connections.
func (s upstream) ListConnections(ctx context.Context, tenantID string) ([]storage.Connection, error) {
	return queryAll(ctx, s.conn, "list connections", scanConnection,
		`SELECT `+connectionColumns+` FROM connections WHERE tenant_id = ? ORDER BY id`, tenantID)
}

// UpdateConnection implements storage.Connections: a compare-and-set on
// the version.
func (s upstream) UpdateConnection(ctx context.Context, c storage.Connection) error {
	const op = "update connection"
	l, err := lists(op, c.Scopes)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`UPDATE connections SET name = ?, issuer = ?, client_id = ?, client_secret_sealed = ?, scopes = ?,
		 create_users = ?, store_tokens = ?, updated_at = ?, version = version + 1
		 WHERE tenant_id = ? AND id = ? AND version = ?`,
		c.Name, c.Issuer, c.ClientID, blob(c.ClientSecretSealed), l[0], boolInt(c.CreateUsers), boolInt(c.StoreTokens),
		unix(c.UpdatedAt), c.TenantID, c.ID, c.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.lostUpdate(ctx, op, `SELECT 1 FROM connections WHERE tenant_id = ? AND id = ?`, c.TenantID, c.ID)
	}
	return nil
}

// DeleteConnection implements storage.Connections. Its identities go in
// the same statement (ON DELETE CASCADE).
func (s upstream) DeleteConnection(ctx context.Context, tenantID, id string) error {
	const op = "delete connection"
	n, err := s.exec(ctx, op, `DELETE FROM connections WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

const identityColumns = `tenant_id, connection_id, subject, user_id, email, email_verified, name,
	tokens_sealed, tokens_expire_at, created_at, last_login_at`

// identityDest are the Scan destinations of identityColumns into id;
// finish completes id once the row is scanned.
func identityDest(id *storage.Identity) (dest []any, finish func()) {
	var (
		verified               int64
		tokens                 []byte
		expires, created, last sql.NullInt64
	)
	dest = []any{&id.TenantID, &id.ConnectionID, &id.Subject, &id.UserID, &id.Email, &verified, &id.Name,
		&tokens, &expires, &created, &last}
	return dest, func() {
		id.EmailVerified = verified != 0
		id.TokensSealed = fromBlob(tokens)
		id.TokensExpireAt, id.CreatedAt, id.LastLoginAt = fromUnix(expires), fromUnix(created), fromUnix(last)
	}
}

// GetIdentity implements storage.Identities: the identity and its user in
// one query (the foreign key makes the user exist).
func (s upstream) GetIdentity(ctx context.Context, tenantID, connectionID, subject string) (storage.Identity, storage.User, error) {
	const op = "get identity"
	var (
		id storage.Identity
		u  optionalUser
	)
	dest, finish := identityDest(&id)
	err := s.db.QueryRowContext(ctx,
		`SELECT i.tenant_id, i.connection_id, i.subject, i.user_id, i.email, i.email_verified, i.name,
		        i.tokens_sealed, i.tokens_expire_at, i.created_at, i.last_login_at, `+userColumnsOf("u")+`
		 FROM identities i JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id
		 WHERE i.tenant_id = ? AND i.connection_id = ? AND i.subject = ?`, tenantID, connectionID, subject).
		Scan(append(dest, u.dest()...)...)
	if err != nil {
		return storage.Identity{}, storage.User{}, wrapErr(op, err)
	}
	finish()
	user, err := u.user(op)
	if err != nil {
		return storage.Identity{}, storage.User{}, err
	}
	return id, *user, nil
}

// identityArgs are id's values in identityColumns order.
func identityArgs(id storage.Identity) []any {
	return []any{id.TenantID, id.ConnectionID, id.Subject, id.UserID, id.Email, boolInt(id.EmailVerified), id.Name,
		blob(id.TokensSealed), unix(id.TokensExpireAt), unix(id.CreatedAt), unix(id.LastLoginAt)}
}

// CreateIdentity implements storage.Identities. A new user and its
// identity are one batch; a link is one INSERT ... SELECT whose SELECT
// finds the user, so which user is linked is decided in the statement
// that links it.
func (s upstream) CreateIdentity(ctx context.Context, n storage.NewIdentity) (string, error) {
	const op = "create identity"
	id := n.Identity
	if n.User != nil {
		if n.User.ID != id.UserID || n.User.TenantID != id.TenantID {
			return "", fmt.Errorf("sqlstore: %s: the identity's user is not the new user", op)
		}
		l, err := lists(op, n.User.Roles)
		if err != nil {
			return "", err
		}
		// Plain INSERTs: a conflict fails the batch, so neither row stays.
		_, err = s.batch(ctx, op,
			stmt{`INSERT INTO users (` + userColumns + `) VALUES ` + userValues, userArgs(*n.User, l[0])},
			stmt{`INSERT INTO identities (` + identityColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, identityArgs(id)})
		if err != nil {
			return "", err
		}
		return id.UserID, nil
	}
	if n.LinkEmail == "" {
		return "", notFound(op)
	}
	args := identityArgs(id)
	args = append(args[:3:3], args[4:]...) // user_id comes from the SELECT
	args = append(args, id.TenantID, n.LinkEmail)
	var userID string
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO identities (`+identityColumns+`)
		 SELECT ?, ?, ?, u.id, ?, ?, ?, ?, ?, ?, ?
		 FROM users u
		 WHERE u.tenant_id = ? AND u.email = ? COLLATE NOCASE AND u.email_verified = 1 AND u.email <> ''
		   AND (SELECT count(*) FROM users v
		        WHERE v.tenant_id = u.tenant_id AND v.email = u.email COLLATE NOCASE AND v.email_verified = 1) = 1
		 RETURNING user_id`, args...).Scan(&userID)
	if err != nil {
		return "", wrapErr(op, err) // no row: no such user (ErrNotFound)
	}
	return userID, nil
}

// UpdateIdentity implements storage.Identities in one batch: the identity,
// then its user, the second only while the identity is still the user's.
func (s upstream) UpdateIdentity(ctx context.Context, id storage.Identity) error {
	const op = "update identity"
	n, err := s.batch(ctx, op,
		stmt{`UPDATE identities SET email = ?, email_verified = ?, name = ?, tokens_sealed = ?, tokens_expire_at = ?, last_login_at = ?
		 WHERE tenant_id = ? AND connection_id = ? AND subject = ? AND user_id = ?`,
			[]any{id.Email, boolInt(id.EmailVerified), id.Name, blob(id.TokensSealed), unix(id.TokensExpireAt), unix(id.LastLoginAt),
				id.TenantID, id.ConnectionID, id.Subject, id.UserID}},
		stmt{`UPDATE users SET
		   email = CASE WHEN ? <> '' THEN ? ELSE email END,
		   email_verified = CASE WHEN ? <> '' THEN ? ELSE email_verified END,
		   name = CASE WHEN ? <> '' THEN ? ELSE name END,
		   updated_at = ?
		 WHERE tenant_id = ? AND id = ? AND EXISTS (SELECT 1 FROM identities i
		   WHERE i.tenant_id = users.tenant_id AND i.user_id = users.id AND i.connection_id = ? AND i.subject = ?)`,
			[]any{id.Email, id.Email, id.Email, boolInt(id.EmailVerified), id.Name, id.Name, unix(id.LastLoginAt),
				id.TenantID, id.UserID, id.ConnectionID, id.Subject}})
	if err != nil {
		return err
	}
	if n[0] == 0 {
		return notFound(op)
	}
	return nil
}

// ListIdentities implements storage.Identities.
func (s upstream) ListIdentities(ctx context.Context, tenantID, userID string) ([]storage.Identity, error) {
	return queryAll(ctx, s.conn, "list identities", func(op string, row rowScanner) (storage.Identity, error) {
		var id storage.Identity
		dest, finish := identityDest(&id)
		if err := row.Scan(dest...); err != nil {
			return storage.Identity{}, wrapErr(op, err)
		}
		finish()
		return id, nil
	}, `SELECT `+identityColumns+` FROM identities WHERE tenant_id = ? AND user_id = ? ORDER BY connection_id`, tenantID, userID)
}

// DeleteIdentity implements storage.Identities.
func (s upstream) DeleteIdentity(ctx context.Context, tenantID, userID, connectionID string) error {
	const op = "delete identity"
	n, err := s.exec(ctx, op, `DELETE FROM identities WHERE tenant_id = ? AND user_id = ? AND connection_id = ?`,
		tenantID, userID, connectionID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// PruneIdentityTokens implements storage.Identities.
func (s upstream) PruneIdentityTokens(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune identity tokens",
		`UPDATE identities SET tokens_sealed = NULL, tokens_expire_at = NULL
		 WHERE tokens_expire_at IS NOT NULL AND tokens_expire_at < ?`, before.Unix())
}
