//go:build !js

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/edgeauth/edgeauth/migrations"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeoutMS is how long a connection waits for SQLite's write lock
// before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// OpenSQLite opens (creating if needed) the SQLite database at path with
// foreign keys on, WAL journaling and a busy timeout on every connection,
// applies the embedded migrations that are not yet recorded in
// d1_migrations, and returns a Store over it together with the *sql.DB,
// which the caller closes.
//
// path is a file name, taken literally: '?', '#' and '%' in it are part of
// the name (they are escaped in the URI given to the driver). A file that
// does not exist is created with mode 0600 (less the umask) before SQLite
// opens it, and SQLite gives its -wal and -shm files the database's mode, so
// the database (password hashes, sealed keys, grants) is readable by its
// owner only. An existing file is opened as it is: its mode is left
// unchanged.
//
// path ":memory:" gives a private in-memory database. Every new connection
// to :memory: would be a new, empty database, so the pool is limited to one
// connection; concurrent callers queue for it. Use a file (t.TempDir) to
// exercise real concurrency.
func OpenSQLite(path string) (*Store, *sql.DB, error) {
	if path != ":memory:" && path != "" {
		if err := createPrivate(path); err != nil {
			return nil, nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	// Migrations run in a transaction (native SQLite only); take the write
	// lock at BEGIN so two processes migrating at once queue instead of
	// failing on a lock upgrade.
	q.Set("_txlock", "immediate")
	dsn := sqliteURI(path) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	if err := Migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, nil, err
	}
	return New(db), db, nil
}

// createPrivate creates path with mode 0600 if it does not exist yet; an
// existing file is left as it is.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteURI is the "file:" URI naming path. modernc.org/sqlite splits its
// DSN at the first '?' (its own parameters follow) and hands a "file:" DSN
// whole to sqlite3_open_v2 with SQLITE_OPEN_URI, where '?' starts the query,
// '#' the fragment and %HH is decoded in the path. So those three
// characters are percent-encoded; every other byte of the path stands for
// itself. A path starting with '/' gets an empty authority ("file:///..."),
// so that one starting with "//" is not read as a host name.
func sqliteURI(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	if strings.HasPrefix(esc, "/") {
		return "file://" + esc
	}
	return "file:" + esc
}

// Migrate applies, in order, the embedded migrations that d1_migrations
// does not list yet, recording each by name as wrangler does. Each file is
// applied with its record in one SQLite transaction. It is for native
// SQLite only: D1 is migrated by `wrangler d1 migrations apply`.
func Migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, migrations.CreateTable); err != nil {
		return fmt.Errorf("sqlstore: migrate: create %s: %w", migrations.Table, err)
	}
	names, err := migrations.Files()
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, name := range names {
		if err := applyMigration(ctx, db, name); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, name string) error {
	text, err := migrations.Read(name)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM d1_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, text); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO d1_migrations (name) VALUES (?)`, name); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: record: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: commit: %w", name, err)
	}
	return nil
}
