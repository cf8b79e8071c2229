-- edgeauth schema, version 1.
--
-- Applied by `wrangler d1 migrations apply DB` to Cloudflare D1 and, from the
-- embedded copy in package migrations, to SQLite by the native backend. It must
-- stay valid for both: no BEGIN/COMMIT, no PRAGMA, positional parameters only.
--
-- Conventions (storage/sqlstore relies on them):
--   * times are INTEGER Unix seconds; a zero time.Time is NULL;
--   * string lists are JSON arrays in TEXT, never NULL ('[]' when empty);
--   * hashes, JWKs and sealed keys are BLOB; empty is NULL;
--   * every row hangs off tenants(id) with ON DELETE CASCADE, so deleting a
--     tenant is one statement. D1 always enforces foreign keys; the native
--     backend turns them on for every connection.

CREATE TABLE tenants (
  id         TEXT    NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL DEFAULT '',
  settings   TEXT    NOT NULL DEFAULT '{}', -- JSON storage.TenantSettings
  created_at INTEGER,
  updated_at INTEGER
);

CREATE TABLE clients (
  tenant_id                  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                         TEXT    NOT NULL,
  name                       TEXT    NOT NULL DEFAULT '',
  secret_hash                BLOB,                          -- SHA-256; NULL for public clients
  redirect_uris              TEXT    NOT NULL DEFAULT '[]', -- JSON array
  grant_types                TEXT    NOT NULL DEFAULT '[]', -- JSON array
  response_types             TEXT    NOT NULL DEFAULT '[]', -- JSON array
  token_endpoint_auth_method TEXT    NOT NULL DEFAULT '',
  scope                      TEXT    NOT NULL DEFAULT '',
  first_party                INTEGER NOT NULL DEFAULT 0 CHECK (first_party IN (0, 1)),
  access_token_ttl           INTEGER NOT NULL DEFAULT 0, -- seconds; 0: the tenant's
  created_at                 INTEGER,
  updated_at                 INTEGER,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  username      TEXT NOT NULL,
  email         TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '', -- PHC string
  roles         TEXT NOT NULL DEFAULT '[]', -- JSON array
  created_at    INTEGER,
  updated_at    INTEGER,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, username)
);

-- At most one next key per tenant and use: concurrent rotations that both
-- try to create one are decided by this index (the loser gets a unique
-- violation). Two current keys can exist for the instant between a
-- promotion and the retirement that follows it; signers pick the newest.
CREATE TABLE signing_keys (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kid            TEXT NOT NULL,
  alg            TEXT NOT NULL,
  key_use        TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  public_jwk     BLOB,
  private_sealed BLOB, -- AES-256-GCM, sealed by the caller
  created_at     INTEGER,
  activated_at   INTEGER,
  retired_at     INTEGER,
  PRIMARY KEY (tenant_id, kid)
);

CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (tenant_id, key_use) WHERE state = 'next';

-- user_id is NULL for client-credential grants; a composite foreign key with
-- a NULL column is not enforced, so those families hang off the client only.
CREATE TABLE refresh_families (
  tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT    NOT NULL,
  client_id  TEXT    NOT NULL,
  user_id    TEXT,
  scope      TEXT    NOT NULL DEFAULT '',
  resource   TEXT    NOT NULL DEFAULT '',
  auth_time  INTEGER,
  token_hash BLOB,             -- SHA-256 of the current refresh token
  generation INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER,
  rotated_at INTEGER,
  expires_at INTEGER,          -- NULL: no expiry
  revoked_at INTEGER,          -- NULL unless revoked
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX refresh_families_client ON refresh_families (tenant_id, client_id);
CREATE INDEX refresh_families_user ON refresh_families (tenant_id, user_id);

-- One row per redeemed authorization code: the primary key decides single use.
-- Rows outlive their client on purpose (a replayed code must still be seen as
-- used); they go with the tenant.
CREATE TABLE code_redemptions (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  code_hash   BLOB NOT NULL, -- SHA-256 of the code
  client_id   TEXT NOT NULL,
  family_id   TEXT NOT NULL DEFAULT '',
  redeemed_at INTEGER,
  expires_at  INTEGER,
  PRIMARY KEY (tenant_id, code_hash)
);

CREATE INDEX code_redemptions_expires ON code_redemptions (expires_at);

CREATE TABLE consents (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  scope      TEXT NOT NULL DEFAULT '',
  granted_at INTEGER,
  PRIMARY KEY (tenant_id, user_id, client_id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX consents_client ON consents (tenant_id, client_id);

-- AUTOINCREMENT: ids only grow and are never reused, so paging by BeforeID
-- is stable while events are appended and pruned.
-- tenant_id is NULL for events that belong to no tenant (an admin
-- authentication failure on /admin/v1/tenants, say).
CREATE TABLE audit_events (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT             REFERENCES tenants (id) ON DELETE CASCADE,
  time      INTEGER NOT NULL,
  event     TEXT    NOT NULL DEFAULT '',
  actor     TEXT    NOT NULL DEFAULT '',
  subject   TEXT    NOT NULL DEFAULT '',
  detail    TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id);
CREATE INDEX audit_events_tenant_event ON audit_events (tenant_id, event, id);
CREATE INDEX audit_events_time ON audit_events (time);

-- Failed-login streaks per username (whether or not a user has it), for
-- lockout. In SQL, not KV: a lockout must hold at every location at once.
CREATE TABLE login_failures (
  tenant_id TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  username  TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  last_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, username)
);
