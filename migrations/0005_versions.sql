-- Updates of tenants and clients are a compare-and-set on version, so two
-- admin requests changing one record at once cannot lose either change (a
-- PATCH undoing a secret rotation that ran meanwhile, for one).
ALTER TABLE tenants ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
