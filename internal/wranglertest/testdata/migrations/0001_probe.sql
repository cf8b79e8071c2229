CREATE TABLE probe (k TEXT PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO probe (k, v) VALUES ('migrated', 'yes');
