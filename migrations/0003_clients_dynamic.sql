-- 1 for a client registered through RFC 7591 dynamic registration: its
-- redirect URIs were chosen by whoever registered it, not vetted by an
-- admin, so the authorization endpoint redirects to them only once the user
-- has signed in (RFC 9700 §4.11.2).
ALTER TABLE clients ADD COLUMN dynamic INTEGER NOT NULL DEFAULT 0 CHECK (dynamic IN (0, 1));
