//go:build !js

package authz_test

import (
	"path/filepath"
	"testing"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

// newTestStore opens a SQLite store in the test's temporary folder, closed
// when the test ends.
func newTestStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	store, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "edgeauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store
}

// testSealer seals with a fixed all-zero key-encryption key.
func testSealer() *jwks.Sealer {
	s, _ := jwks.NewSealer(make([]byte, jwks.KEKSize))
	return s
}
