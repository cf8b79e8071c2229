-- The audit log is append-only: its events outlive what they describe (a
-- deleted tenant's events stay until the retention prunes them), so they
-- no longer refer to tenants with ON DELETE CASCADE.
--
-- Events of unauthenticated requests are counted, not appended one by one
-- (storage.Audit.CountAudit): one row per tally (tenant, event and window)
-- and source (the client's address), whose count grows; the tally caps
-- its sources, and the rest share the source '*'. So no flood of failed
-- sign-ins or admin authentications, from one address or many, grows the
-- log faster than a bounded number of rows per window.
CREATE TABLE audit_events_new (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT,
  time      INTEGER NOT NULL,
  event     TEXT    NOT NULL DEFAULT '',
  actor     TEXT    NOT NULL DEFAULT '',
  subject   TEXT    NOT NULL DEFAULT '',
  detail    TEXT    NOT NULL DEFAULT '',
  tally     TEXT,
  source    TEXT,
  count     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO audit_events_new (id, tenant_id, time, event, actor, subject, detail)
  SELECT id, tenant_id, time, event, actor, subject, detail FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id);
CREATE INDEX audit_events_tenant_event ON audit_events (tenant_id, event, id);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE UNIQUE INDEX audit_events_tally ON audit_events (tally, source) WHERE tally IS NOT NULL;
