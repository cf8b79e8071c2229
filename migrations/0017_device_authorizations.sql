-- RFC 8628 device authorization requests, one row each, from the device
-- authorization endpoint until the scheduled job prunes it after
-- expires_at. A public client may ask without any user, so the rows are
-- bounded by a rate limit per client and address and by their lifetime.
-- The user's decision, each poll and the redemption are one statement (or
-- one batch) each, guarded by status: single use is decided here, never in
-- KV.
CREATE TABLE device_authorizations (
  tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_hash   BLOB    NOT NULL, -- SHA-256 of the device code
  user_code     TEXT    NOT NULL, -- normalised (package device)
  client_id     TEXT    NOT NULL,
  scope         TEXT    NOT NULL DEFAULT '',
  resources     TEXT    NOT NULL DEFAULT '[]', -- JSON array
  status        TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'redeemed')),
  user_id       TEXT,             -- who decided; NULL while pending
  auth_time     INTEGER,
  poll_interval INTEGER NOT NULL, -- seconds between polls; grows on slow_down
  last_poll     INTEGER,
  slowed        INTEGER NOT NULL DEFAULT 0 CHECK (slowed IN (0, 1)),
  family_id     TEXT    NOT NULL DEFAULT '', -- the refresh family the redemption created
  redemption    TEXT,             -- the id of the redemption that happened
  created_at    INTEGER,
  expires_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, device_hash),
  UNIQUE (tenant_id, user_code),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);
CREATE INDEX device_authorizations_client ON device_authorizations (tenant_id, client_id);
CREATE INDEX device_authorizations_user ON device_authorizations (tenant_id, user_id);
