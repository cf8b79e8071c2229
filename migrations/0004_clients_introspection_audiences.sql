-- The audiences (resource identifiers, JSON array) of the access tokens a
-- client may introspect: the resource servers it stands for (RFC 7662 §4).
ALTER TABLE clients ADD COLUMN introspection_audiences TEXT NOT NULL DEFAULT '[]';
