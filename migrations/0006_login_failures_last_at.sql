-- The scheduled job deletes ended failed-login streaks (PruneLoginFailures
-- by last_at); this index keeps it from scanning the table every run.
CREATE INDEX login_failures_last_at ON login_failures (last_at);
