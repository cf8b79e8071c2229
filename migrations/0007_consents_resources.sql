-- The resources (RFC 8707 indicators, JSON array) a consent was given for;
-- "" stands for a request without one (the tenant's default audience). A
-- remembered consent covers a request only if it covers its resources too:
-- consents given before this column covered scopes alone, so they cover
-- no resource and are asked again once.
ALTER TABLE consents ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
