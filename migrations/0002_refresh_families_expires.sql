-- The scheduled job deletes expired refresh families (PruneExpired); this
-- index keeps it from scanning the table every run.
CREATE INDEX refresh_families_expires ON refresh_families (expires_at);
