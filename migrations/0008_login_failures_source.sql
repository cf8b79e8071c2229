-- Failed sign-ins are counted per username and client address (source, the
-- address as the rate limits key it), and per username over every address
-- (source '*'): a stranger's guesses lock that stranger out, not the user;
-- only many addresses together reach the slower limit of the username.
-- The streaks counted so far become the usernames' '*' streaks.
CREATE TABLE login_failures_by_source (
  tenant_id TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  username  TEXT    NOT NULL,
  source    TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  last_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, username, source)
);
INSERT INTO login_failures_by_source (tenant_id, username, source, count, last_at)
  SELECT tenant_id, username, '*', count, last_at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_by_source RENAME TO login_failures;
CREATE INDEX login_failures_last_at ON login_failures (last_at);
