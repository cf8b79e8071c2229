//go:build !js

package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/edgeauth/edgeauth/migrations"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagetest"
)

func TestSQLite(t *testing.T) {
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "edgeauth.db"))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	storagetest.Run(t, func(*testing.T) storage.Store { return store })
}

func TestSQLiteMemory(t *testing.T) {
	store, db, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatalf("OpenSQLite(:memory:): %v", err)
	}
	t.Cleanup(func() { db.Close() })
	storagetest.Run(t, func(*testing.T) storage.Store { return store })
}

// TestMigrateIdempotent opens one file twice: the second open must find
// every migration recorded in d1_migrations and apply nothing again.
func TestMigrateIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edgeauth.db")
	for i := range 2 {
		_, db, err := sqlstore.OpenSQLite(path)
		if err != nil {
			t.Fatalf("OpenSQLite #%d: %v", i+1, err)
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM d1_migrations`).Scan(&n); err != nil {
			t.Fatalf("count d1_migrations: %v", err)
		}
		files, err := migrations.Files()
		if err != nil {
			t.Fatal(err)
		}
		if n != len(files) {
			t.Errorf("after OpenSQLite #%d: %d rows in d1_migrations; want %d", i+1, n, len(files))
		}
		db.Close()
	}
}
