-- What the consent page shows of a client besides its name (RFC 7591 §2):
-- its logo and the links to its privacy policy and terms of service. The
-- page shows only https ones.
ALTER TABLE clients ADD COLUMN logo_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN policy_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN tos_uri TEXT NOT NULL DEFAULT '';
