-- A user's profile as upstream providers give it: whether the e-mail
-- address is verified, and a full name. Both flow into the ID token and
-- userinfo (email_verified, name). Users made before keep an unverified
-- address and no name.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1));
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- Linking an upstream identity by its verified e-mail looks users up by
-- address, ASCII case ignored.
CREATE INDEX users_email ON users (tenant_id, email COLLATE NOCASE);
