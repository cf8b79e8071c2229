package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/edgeauth/edgeauth/storage"
)

const clientColumns = `tenant_id, id, name, secret_hash, redirect_uris, grant_types,
	response_types, token_endpoint_auth_method, scope, first_party, access_token_ttl, created_at, updated_at, dynamic, introspection_audiences, version,
	post_logout_redirect_uris, logo_uri, policy_uri, tos_uri, token_exchange_audiences`

// scanClient reads one row of clientColumns.
func scanClient(op string, row rowScanner) (storage.Client, error) {
	var (
		c                        storage.Client
		secret                   []byte
		redirects, grants, resps string
		introspects, postLogout  string
		exchanges                string
		firstParty, dynamic      int64
		created, updated         sql.NullInt64
	)
	err := row.Scan(&c.TenantID, &c.ID, &c.Name, &secret, &redirects, &grants, &resps,
		&c.TokenEndpointAuthMethod, &c.Scope, &firstParty, &c.AccessTokenTTL, &created, &updated, &dynamic, &introspects, &c.Version,
		&postLogout, &c.LogoURI, &c.PolicyURI, &c.TOSURI, &exchanges)
	if err != nil {
		return storage.Client{}, wrapErr(op, err)
	}
	c.SecretHash = fromBlob(secret)
	c.FirstParty, c.Dynamic = firstParty != 0, dynamic != 0
	c.CreatedAt, c.UpdatedAt = fromUnix(created), fromUnix(updated)
	for _, f := range []struct {
		dst *[]string
		src string
	}{{&c.RedirectURIs, redirects}, {&c.GrantTypes, grants}, {&c.ResponseTypes, resps}, {&c.IntrospectionAudiences, introspects},
		{&c.PostLogoutRedirectURIs, postLogout}, {&c.TokenExchangeAudiences, exchanges}} {
		if *f.dst, err = fromList(f.src); err != nil {
			return storage.Client{}, fmt.Errorf("sqlstore: %s: decode list: %w", op, err)
		}
	}
	return c, nil
}

// CreateClient implements storage.Clients.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return s.insertClient(ctx, "create client", c, -1)
}

// RegisterClient implements storage.Clients: the insert's WHERE counts
// the tenant's dynamic clients, in the same statement.
func (s *Store) RegisterClient(ctx context.Context, c storage.Client, max int) error {
	return s.insertClient(ctx, "register client", c, max)
}

// insertClient inserts c, while its tenant has fewer than max dynamic
// clients when max >= 0: one INSERT ... SELECT.
func (s *Store) insertClient(ctx context.Context, op string, c storage.Client, max int) error {
	l, err := lists(op, c.RedirectURIs, c.GrantTypes, c.ResponseTypes, c.IntrospectionAudiences, c.PostLogoutRedirectURIs, c.TokenExchangeAudiences)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO clients (`+clientColumns+`)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?
		 WHERE ? < 0 OR (SELECT COUNT(*) FROM clients WHERE tenant_id = ? AND dynamic = 1) < ?
		 ON CONFLICT DO NOTHING`,
		c.TenantID, c.ID, c.Name, blob(c.SecretHash), l[0], l[1], l[2],
		c.TokenEndpointAuthMethod, c.Scope, boolInt(c.FirstParty), c.AccessTokenTTL, unix(c.CreatedAt), unix(c.UpdatedAt), boolInt(c.Dynamic), l[3],
		l[4], c.LogoURI, c.PolicyURI, c.TOSURI, l[5],
		max, c.TenantID, max)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	if max < 0 {
		return alreadyExists(op)
	}
	if _, err := s.GetClient(ctx, c.TenantID, c.ID); err == nil {
		return alreadyExists(op)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: the tenant has %d dynamic clients already: %w", op, max, storage.ErrConflict)
}

// GetClient implements storage.Clients.
func (s *Store) GetClient(ctx context.Context, tenantID, id string) (storage.Client, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanClient("get client", row)
}

// ListClients implements storage.Clients.
func (s *Store) ListClients(ctx context.Context, tenantID string) ([]storage.Client, error) {
	return queryAll(ctx, s.conn, "list clients", scanClient,
		`SELECT `+clientColumns+` FROM clients WHERE tenant_id = ? ORDER BY id`, tenantID)
}

// UpdateClient implements storage.Clients.
func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	const op = "update client"
	l, err := lists(op, c.RedirectURIs, c.GrantTypes, c.ResponseTypes, c.IntrospectionAudiences, c.PostLogoutRedirectURIs, c.TokenExchangeAudiences)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`UPDATE clients SET name = ?, secret_hash = ?, redirect_uris = ?, grant_types = ?,
		 response_types = ?, token_endpoint_auth_method = ?, scope = ?, first_party = ?, access_token_ttl = ?, updated_at = ?, dynamic = ?,
		 introspection_audiences = ?, post_logout_redirect_uris = ?, logo_uri = ?, policy_uri = ?, tos_uri = ?,
		 token_exchange_audiences = ?, version = version + 1
		 WHERE tenant_id = ? AND id = ? AND version = ?`,
		c.Name, blob(c.SecretHash), l[0], l[1], l[2], c.TokenEndpointAuthMethod, c.Scope,
		boolInt(c.FirstParty), c.AccessTokenTTL, unix(c.UpdatedAt), boolInt(c.Dynamic), l[3],
		l[4], c.LogoURI, c.PolicyURI, c.TOSURI, l[5], c.TenantID, c.ID, c.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.lostUpdate(ctx, op, `SELECT 1 FROM clients WHERE tenant_id = ? AND id = ?`, c.TenantID, c.ID)
	}
	return nil
}

// DeleteClient implements storage.Clients. Its consents and refresh
// families go in the same statement (ON DELETE CASCADE).
func (s *Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	const op = "delete client"
	n, err := s.exec(ctx, op, `DELETE FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}
