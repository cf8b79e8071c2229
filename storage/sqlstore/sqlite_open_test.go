//go:build !js

package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// TestSQLiteNewFileMode: a new database, its -wal and its -shm are readable
// by their owner only, whatever the umask allows.
func TestSQLiteNewFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edgeauth.db")
	store, db, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer db.Close()
	// A write, so that the -wal and -shm files exist.
	if err := store.CreateTenant(context.Background(), storage.Tenant{ID: "t"}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(path+suffix), err)
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v; want no access for group and others", filepath.Base(path+suffix), fi.Mode())
		}
	}
}

// TestSQLiteExistingFileModeKept: an existing database is opened as it is.
func TestSQLiteExistingFileModeKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edgeauth.db")
	_, db, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, db, err = sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after reopening = %v; want -rw-r----- (unchanged)", fi.Mode())
	}
}

// TestSQLiteOddPaths: '?', '#' and '%' in a path are part of the file name.
// Before, "a?b.db" opened "a" and dropped the parameters after the '?'
// (foreign keys off, so deletes did not cascade), "c#d.db" opened "c" and
// "e%41.db" opened "eA.db".
func TestSQLiteOddPaths(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"edge?auth.db", "edge#auth.db", "edge%41uth.db", "a?b#c%25d%.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			store, db, err := sqlstore.OpenSQLite(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("OpenSQLite: %v", err)
			}
			defer db.Close()
			var fk int
			if err := db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if fk != 1 {
				t.Errorf("PRAGMA foreign_keys = %d; want 1", fk)
			}
			var journal string
			if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
				t.Fatal(err)
			}
			if journal != "wal" {
				t.Errorf("PRAGMA journal_mode = %q; want wal", journal)
			}
			if err := store.CreateClient(ctx, storage.Client{TenantID: "no-such-tenant", ID: "c"}); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("CreateClient for a missing tenant = %v; want ErrNotFound", err)
			}
			if err := store.CreateTenant(ctx, storage.Tenant{ID: "t"}); err != nil {
				t.Fatal(err)
			}
			if err := store.CreateClient(ctx, storage.Client{TenantID: "t", ID: "c"}); err != nil {
				t.Fatal(err)
			}
			if err := store.DeleteTenant(ctx, "t"); err != nil {
				t.Fatal(err)
			}
			if _, err := store.GetClient(ctx, "t", "c"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("GetClient after deleting its tenant = %v; want ErrNotFound (ON DELETE CASCADE)", err)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if !slices.Contains(names, name) {
				t.Errorf("files in the directory: %q; want %q among them", names, name)
			}
			for _, n := range names {
				if n != name && n != name+"-wal" && n != name+"-shm" {
					t.Errorf("unexpected file %q (want only %q and its -wal, -shm)", n, name)
				}
			}
		})
	}
}

// TestSQLiteMissingDirectory: a path in a directory that does not exist
// fails with an error naming the path, and creates nothing.
func TestSQLiteMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "edgeauth.db")
	if _, db, err := sqlstore.OpenSQLite(path); err == nil {
		db.Close()
		t.Fatal("OpenSQLite in a missing directory: nil error")
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of the missing directory: %v; want it still missing", err)
	}
}
