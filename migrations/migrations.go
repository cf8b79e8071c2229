package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

// FS holds the migration files, at the root of the file system.
//
//go:embed *.sql
var FS embed.FS

// Table is the name of the table that records applied migrations. It is the
// table wrangler creates, with the same shape:
//
//	d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
//	              applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)
const Table = "d1_migrations"

// CreateTable is the statement that creates Table if it is missing; it is
// the statement wrangler runs.
const CreateTable = `CREATE TABLE IF NOT EXISTS d1_migrations(
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT UNIQUE,
	applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`

// Files returns the names of the migration files in the order they must be
// applied.
func Files() ([]string, error) {
	names, err := fs.Glob(FS, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// Read returns the SQL text of the migration file name.
func Read(name string) (string, error) {
	b, err := FS.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("migrations: %w", err)
	}
	return string(b), nil
}
