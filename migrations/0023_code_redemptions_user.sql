-- A redemption records the user its code was issued for, referring to
-- the user: redeeming a code of a user deleted since fails on the foreign
-- key, in the same batch that decides the code's single use, so the code
-- exchange needs no read of the user first (its claims travel with the
-- code). Deleting a user deletes its redemptions, as it deletes its refresh
-- families. Rows from before have no user.
CREATE TABLE code_redemptions_new (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  code_hash   BLOB NOT NULL, -- SHA-256 of the code
  client_id   TEXT NOT NULL,
  family_id   TEXT NOT NULL DEFAULT '',
  redeemed_at INTEGER,
  expires_at  INTEGER,
  user_id     TEXT,
  PRIMARY KEY (tenant_id, code_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO code_redemptions_new (tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at)
  SELECT tenant_id, code_hash, client_id, family_id, redeemed_at, expires_at FROM code_redemptions;
DROP TABLE code_redemptions;
ALTER TABLE code_redemptions_new RENAME TO code_redemptions;
CREATE INDEX code_redemptions_expires ON code_redemptions (expires_at);
CREATE INDEX code_redemptions_user ON code_redemptions (tenant_id, user_id);
