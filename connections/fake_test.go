//go:build !js

package connections

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/oidctest"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
)

const (
	fakeClientID = "edgeauth-client"
	fakeSecret   = "s3cret-of-the-upstream"
)

// newFakeOIDC is an OpenID Provider (internal/oidctest) that knows the
// Broker's client and answers fixed tokens.
func newFakeOIDC(t *testing.T) *oidctest.Provider {
	t.Helper()
	f := oidctest.NewProvider(t, fakeClientID, fakeSecret)
	f.AccessToken, f.RefreshToken = "upstream-at", "upstream-rt"
	return f
}

// newFakeGitHub is a GitHub (internal/oidctest) that knows the Broker's
// client, with a user of two verified addresses, the second primary.
func newFakeGitHub(t *testing.T) *oidctest.GitHub {
	t.Helper()
	g := oidctest.NewGitHub(t, fakeClientID, fakeSecret)
	g.User = map[string]any{"id": 4242, "login": "octo", "name": "Octo Cat"}
	g.Emails = []map[string]any{
		{"email": "other@example.com", "primary": false, "verified": true},
		{"email": "octo@example.com", "primary": true, "verified": true},
	}
	return g
}

// otherKey is a key the provider never published.
func otherKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestBroker is a Broker over an in-memory SQLite store, allowing
// loopback upstreams (the fakes), with a tenant "t".
func newTestBroker(t *testing.T, timeout time.Duration) (*Broker, *sqlstore.Store, storage.Tenant) {
	t.Helper()
	st, db, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := New(Config{Store: st, Transport: http.DefaultTransport, SecretKey: make([]byte, 32), InsecureLoopback: true, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	tenant := storage.Tenant{ID: "t", Name: "T"}
	if err := st.CreateTenant(t.Context(), tenant); err != nil {
		t.Fatal(err)
	}
	return b, st, tenant
}

// connection stores a connection of kind to issuer with the fake's client.
func connection(t *testing.T, b *Broker, st *sqlstore.Store, kind, issuer string, create bool) storage.Connection {
	t.Helper()
	c := storage.Connection{TenantID: "t", ID: "c" + strings.ToLower(rand.Text()[:8]), Kind: kind, Issuer: issuer, ClientID: fakeClientID, CreateUsers: create}
	c.ClientSecretSealed = b.SealClientSecret("t", c.ID, fakeSecret)
	if err := b.Check(c); err != nil {
		t.Fatalf("Check(%+v) = %v", c, err)
	}
	if err := st.CreateConnection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
