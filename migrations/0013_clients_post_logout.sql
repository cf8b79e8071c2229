-- The post_logout_redirect_uris a client registered (OpenID Connect
-- RP-Initiated Logout 1.0 §3.1, JSON array): the only places the logout
-- endpoint sends a browser back to, matched exactly.
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
