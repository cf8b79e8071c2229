-- A disabled user cannot sign in, and its sessions and grants were revoked
-- when it was disabled (in the same batch); enabling it again restores
-- neither.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
