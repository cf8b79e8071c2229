-- The id of the rotation that last moved a refresh family on, so that the
-- token.issued event written in the same batch is the winning rotation's
-- alone: concurrent uses of one token rotate it to the same new token
-- (a generation's token is one string), so the new hash cannot tell them
-- apart.
ALTER TABLE refresh_families ADD COLUMN rotation TEXT;
