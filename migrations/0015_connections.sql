-- Upstream identity providers (connections) and the upstream accounts
-- linked to users (identities).
--
-- A connection's client secret is sealed by the caller (package
-- connections: AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY,
-- tenant and connection as associated data); so are an identity's stored
-- upstream tokens, kept only when the connection asks for them and only
-- until tokens_expire_at.
CREATE TABLE connections (
  tenant_id            TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                   TEXT    NOT NULL,
  kind                 TEXT    NOT NULL CHECK (kind IN ('oidc', 'google', 'github')),
  name                 TEXT    NOT NULL DEFAULT '',
  issuer               TEXT    NOT NULL DEFAULT '',
  client_id            TEXT    NOT NULL,
  client_secret_sealed BLOB,
  scopes               TEXT    NOT NULL DEFAULT '[]', -- JSON array
  create_users         INTEGER NOT NULL DEFAULT 0 CHECK (create_users IN (0, 1)),
  store_tokens         INTEGER NOT NULL DEFAULT 0 CHECK (store_tokens IN (0, 1)),
  version              INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER,
  updated_at           INTEGER,
  PRIMARY KEY (tenant_id, id)
);

-- The primary key decides that an upstream account belongs to one user,
-- the unique key that a user has one identity per connection. Deleting
-- the connection or the user deletes the identity.
CREATE TABLE identities (
  tenant_id        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  connection_id    TEXT    NOT NULL,
  subject          TEXT    NOT NULL,
  user_id          TEXT    NOT NULL,
  email            TEXT    NOT NULL DEFAULT '',
  email_verified   INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
  name             TEXT    NOT NULL DEFAULT '',
  tokens_sealed    BLOB,
  tokens_expire_at INTEGER,
  created_at       INTEGER,
  last_login_at    INTEGER,
  PRIMARY KEY (tenant_id, connection_id, subject),
  UNIQUE (tenant_id, connection_id, user_id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX identities_user ON identities (tenant_id, user_id);
CREATE INDEX identities_tokens ON identities (tokens_expire_at) WHERE tokens_expire_at IS NOT NULL;
