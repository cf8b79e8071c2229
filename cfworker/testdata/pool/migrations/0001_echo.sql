-- The pool test Worker's only table: one row per request id.
CREATE TABLE echo (id TEXT PRIMARY KEY, v TEXT NOT NULL);
