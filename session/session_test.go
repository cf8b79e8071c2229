package session_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/session"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagecount"
)

// TestSessionGet: a session works until it is ended, expires, or its user
// is disabled; a cookie with a wrong secret, of another tenant, or
// malformed names no session, and a malformed one costs no read.
func TestSessionGet(t *testing.T) {
	ctx := context.Background()
	db, sqlDB, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	now := time.Unix(1_800_000_000, 0).UTC()
	for _, id := range []string{"acme", "beta"} {
		if err := db.CreateTenant(ctx, storage.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(ctx, storage.User{TenantID: id, ID: "u1", Username: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	counted := storagecount.NewStore(db, nil)
	s := &session.Store{DB: counted, Now: func() time.Time { return now }, Rand: rand.Reader}
	start := func() (string, *session.Session) {
		t.Helper()
		cookie, sess, err := s.Start(ctx, "acme", "u1", now, time.Hour)
		if err != nil {
			t.Fatalf("Start = %v", err)
		}
		return cookie, sess
	}
	get := func(tenant, cookie string) *session.Session {
		t.Helper()
		sess, err := s.Get(ctx, tenant, cookie)
		if err != nil {
			t.Fatalf("Get = %v", err)
		}
		return sess
	}

	cookie, started := start()
	got := get("acme", cookie)
	if got == nil || got.Handle != started.Handle || got.UserID != "u1" || got.AuthTime != now.Unix() ||
		got.ExpiresAt != now.Add(time.Hour).Unix() || got.User == nil || got.User.Username != "alice" {
		t.Fatalf("Get(the cookie Start made) = %+v; want the session %+v with its user", got, started)
	}
	id, sec, _ := strings.Cut(cookie, ".")
	if strings.Contains(started.Handle, sec) || started.Handle != id {
		t.Errorf("Handle %q; want the public id %q, never the secret", started.Handle, id)
	}
	wrong := id + "." + strings.Repeat("A", len(sec))
	for name, c := range map[string]string{"wrong secret": wrong, "unknown id": strings.Repeat("B", len(id)) + "." + sec} {
		if got := get("acme", c); got != nil {
			t.Errorf("Get(%s) = %+v; want nil", name, got)
		}
	}
	if got := get("beta", cookie); got != nil {
		t.Errorf("Get of another tenant = %+v; want nil", got)
	}
	counted.Reset()
	for _, c := range []string{"", "x", strings.Repeat("k", 43), id, id + "." + sec + "x", "." + sec} {
		if got := get("acme", c); got != nil {
			t.Errorf("Get(%q) = %+v; want nil", c, got)
		}
	}
	if n := counted.Snapshot().D1Reads; n != 0 {
		t.Errorf("malformed cookies cost %d reads; want 0", n)
	}

	// Expiry: at ExpiresAt the session is over.
	now = now.Add(time.Hour)
	if got := get("acme", cookie); got != nil {
		t.Errorf("Get at the session's expiry = %+v; want nil", got)
	}
	now = now.Add(-time.Hour)

	// Ending it: over at once; ending again ends nothing.
	if ended, _, err := s.End(ctx, "acme", started.Handle, true); err != nil || !ended {
		t.Fatalf("End = %v, %v; want true, nil", ended, err)
	}
	if got := get("acme", cookie); got != nil {
		t.Errorf("Get after End = %+v; want nil", got)
	}
	if ended, _, err := s.End(ctx, "acme", started.Handle, true); err != nil || ended {
		t.Errorf("End again = %v, %v; want false, nil", ended, err)
	}

	// A disabled user's session does not work, even one that was not
	// revoked (a row written after the disabling batch).
	cookie, _ = start()
	if _, err := sqlDB.Exec(`UPDATE users SET disabled = 1 WHERE tenant_id = 'acme' AND id = 'u1'`); err != nil {
		t.Fatal(err)
	}
	if got := get("acme", cookie); got != nil {
		t.Errorf("Get of a disabled user's session = %+v; want nil", got)
	}
}
