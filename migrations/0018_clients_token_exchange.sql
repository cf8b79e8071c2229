-- The audiences a client may exchange access tokens for (RFC 8693 token
-- exchange), a JSON array set by an admin only: empty, the default, means
-- the client may not exchange tokens at all.
ALTER TABLE clients ADD COLUMN token_exchange_audiences TEXT NOT NULL DEFAULT '[]';
