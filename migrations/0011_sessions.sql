-- Browser sessions move from Workers KV to D1, so that a signed-out
-- session stops working at every location at once: the check that decides
-- whether a session works is this table's row, read strongly consistent.
--
-- A session's cookie is "<id>.<secret>": id is public (the ID token's sid,
-- the admin API's name for the session) and secret_hash the SHA-256 of the
-- secret part, compared in constant time. Deleting the user or the tenant
-- deletes its sessions. The scheduled job deletes a session once it has
-- expired (sessions_expires), revoked or not.
CREATE TABLE sessions (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT    NOT NULL,
  secret_hash BLOB    NOT NULL,
  user_id     TEXT    NOT NULL,
  auth_time   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER,          -- NULL unless signed out or revoked
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The session a grant was given in (NULL for grants of no session, and for
-- those from before this column): signing out of a session revokes the
-- grants given in it.
ALTER TABLE refresh_families ADD COLUMN session_id TEXT;
CREATE INDEX refresh_families_session ON refresh_families (tenant_id, session_id) WHERE session_id IS NOT NULL;
