package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

// newConnection creates a connection with a fresh id in tenant and returns
// its id.
func newConnection(t *testing.T, s storage.Store, tenant string) string {
	t.Helper()
	id := "conn-" + suffix()
	c := storage.Connection{TenantID: tenant, ID: id, Kind: storage.KindOIDC, Name: id, Issuer: "https://idp.example",
		ClientID: "edgeauth", CreatedAt: base, UpdatedAt: base}
	if err := s.CreateConnection(context.Background(), c); err != nil {
		t.Fatalf("CreateConnection(%q, %q) = %v; want nil", tenant, id, err)
	}
	return id
}

func testConnections(t *testing.T, s storage.Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		in := storage.Connection{TenantID: tenant, ID: "corp", Kind: storage.KindOIDC, Name: "Corp \"SSO\" Ünïcode",
			Issuer: "https://idp.example/realms/corp", ClientID: "edgeauth-client", ClientSecretSealed: allBytes(),
			Scopes: []string{"openid", "email", "profile"}, CreateUsers: true, StoreTokens: true,
			Version: 7, CreatedAt: zoned(0), UpdatedAt: zoned(time.Second)}
		if err := s.CreateConnection(ctx, in); err != nil {
			t.Fatalf("CreateConnection = %v; want nil", err)
		}
		want := in
		want.Version = 0 // a new record starts at version 0
		want.CreatedAt, want.UpdatedAt = norm(in.CreatedAt), norm(in.UpdatedAt)
		got, err := s.GetConnection(ctx, tenant, "corp")
		if err != nil {
			t.Fatalf("GetConnection = %v; want nil", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetConnection mismatch (-want +got):\n%s", diff)
		}
		checkTimes(t, "GetConnection", map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt})

		gh := storage.Connection{TenantID: tenant, ID: "github", Kind: storage.KindGitHub, ClientID: "x", Scopes: []string{}}
		if err := s.CreateConnection(ctx, gh); err != nil {
			t.Fatalf("CreateConnection(github) = %v; want nil", err)
		}
		list, err := s.ListConnections(ctx, tenant)
		if err != nil || len(list) != 2 || list[0].ID != "corp" || list[1].ID != "github" {
			t.Fatalf("ListConnections = %+v, %v; want corp and github in order", list, err)
		}
		if list[1].Scopes != nil || list[1].ClientSecretSealed != nil {
			t.Errorf("ListConnections: github has scopes %#v and secret %#v; want nil for empty", list[1].Scopes, list[1].ClientSecretSealed)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tenant := newTenant(t, s)
		id := newConnection(t, s, tenant)
		c := storage.Connection{TenantID: tenant, ID: id, Kind: storage.KindGoogle, ClientID: "y"}
		tests := []struct {
			name      string
			err, want error
		}{
			{"CreateConnection with a taken id", s.CreateConnection(ctx, c), storage.ErrAlreadyExists},
			{"CreateConnection in a missing tenant", s.CreateConnection(ctx, storage.Connection{TenantID: "st-missing-" + suffix(), ID: "x", Kind: "oidc", ClientID: "y"}), storage.ErrNotFound},
			{"CreateConnection of an unknown kind", s.CreateConnection(ctx, storage.Connection{TenantID: tenant, ID: "odd", Kind: "saml", ClientID: "y"}), nil},
			{call("GetConnection", tenant, "nope"), func() error { _, err := s.GetConnection(ctx, tenant, "nope"); return err }(), storage.ErrNotFound},
			{call("DeleteConnection", tenant, "nope"), s.DeleteConnection(ctx, tenant, "nope"), storage.ErrNotFound},
			{"UpdateConnection of a missing one", s.UpdateConnection(ctx, storage.Connection{TenantID: tenant, ID: "nope"}), storage.ErrNotFound},
		}
		for _, tt := range tests {
			if tt.want == nil && tt.name == "CreateConnection of an unknown kind" {
				// The schema's CHECK refuses a kind it does not know.
				if tt.err == nil {
					t.Errorf("%s = nil; want an error", tt.name)
				}
				continue
			}
			checkErr(t, tt.name, tt.err, tt.want)
		}
	})

	t.Run("Update", func(t *testing.T) {
		tenant := newTenant(t, s)
		id := newConnection(t, s, tenant)
		c, err := s.GetConnection(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		c.Name, c.ClientID, c.ClientSecretSealed, c.Scopes, c.CreateUsers = "Renamed", "new-client", []byte{1, 2}, []string{"openid"}, true
		c.Kind, c.UpdatedAt = storage.KindGitHub, zoned(time.Hour) // Kind cannot change
		checkErr(t, "UpdateConnection", s.UpdateConnection(ctx, c), nil)
		got, err := s.GetConnection(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		want := c
		want.Kind, want.Version, want.UpdatedAt = storage.KindOIDC, c.Version+1, norm(c.UpdatedAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetConnection after update mismatch (-want +got):\n%s", diff)
		}
		// c is now stale: a second writer of the same version loses.
		checkErr(t, "UpdateConnection with a stale version", s.UpdateConnection(ctx, c), storage.ErrConflict)
		errs := race(concurrency, func(int) error { return s.UpdateConnection(ctx, got) })
		checkRace(t, "UpdateConnection", errs, storage.ErrConflict)
	})

	t.Run("DeleteCascadesIdentities", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		user := "user-" + suffix()
		mustCreateIdentity(t, s, storage.NewIdentity{Identity: storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: "sub-1", UserID: user},
			User: &storage.User{TenantID: tenant, ID: user, Username: user}})
		checkErr(t, "DeleteConnection", s.DeleteConnection(ctx, tenant, conn), nil)
		_, _, err := s.GetIdentity(ctx, tenant, conn, "sub-1")
		checkErr(t, "GetIdentity after its connection is deleted", err, storage.ErrNotFound)
		if _, err := s.GetUser(ctx, tenant, user); err != nil {
			t.Errorf("GetUser after the connection is deleted = %v; want the user kept", err)
		}
	})
}

// mustCreateIdentity creates n's identity (and user), failing t otherwise.
func mustCreateIdentity(t *testing.T, s storage.Store, n storage.NewIdentity) string {
	t.Helper()
	id, err := s.CreateIdentity(context.Background(), n)
	if err != nil {
		t.Fatalf("CreateIdentity(%q) = %v; want nil", n.Identity.Subject, err)
	}
	return id
}

func testIdentities(t *testing.T, s storage.Store) {
	ctx := context.Background()
	newVerified := func(t *testing.T, tenant, email string, verified bool) string {
		t.Helper()
		id := "user-" + suffix()
		u := storage.User{TenantID: tenant, ID: id, Username: id, Email: email, EmailVerified: verified}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return id
	}

	t.Run("NewUser", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		u := storage.User{TenantID: tenant, ID: "jit", Username: conn + ":12345", Email: "dev@example.org", EmailVerified: true,
			Name: "Dev", CreatedAt: zoned(0), UpdatedAt: zoned(0)}
		id := storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: "12345", UserID: "jit", Email: "dev@example.org",
			EmailVerified: true, Name: "Dev", TokensSealed: allBytes(), TokensExpireAt: zoned(time.Hour), CreatedAt: zoned(0), LastLoginAt: zoned(0)}
		if got := mustCreateIdentity(t, s, storage.NewIdentity{Identity: id, User: &u}); got != "jit" {
			t.Errorf("CreateIdentity = %q; want the new user jit", got)
		}
		gotID, gotUser, err := s.GetIdentity(ctx, tenant, conn, "12345")
		if err != nil {
			t.Fatalf("GetIdentity = %v; want nil", err)
		}
		wantID := id
		wantID.TokensExpireAt, wantID.CreatedAt, wantID.LastLoginAt = norm(id.TokensExpireAt), norm(id.CreatedAt), norm(id.LastLoginAt)
		if diff := cmp.Diff(wantID, gotID); diff != "" {
			t.Errorf("GetIdentity identity mismatch (-want +got):\n%s", diff)
		}
		wantUser := u
		wantUser.CreatedAt, wantUser.UpdatedAt = norm(u.CreatedAt), norm(u.UpdatedAt)
		if diff := cmp.Diff(wantUser, gotUser); diff != "" {
			t.Errorf("GetIdentity user mismatch (-want +got):\n%s", diff)
		}
		checkTimes(t, "GetIdentity", map[string]time.Time{"TokensExpireAt": gotID.TokensExpireAt, "LastLoginAt": gotID.LastLoginAt})
	})

	t.Run("NewUserAllOrNothing", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		taken := newUser(t, s, tenant)
		fresh := func(userID, username, subject string) storage.NewIdentity {
			return storage.NewIdentity{
				Identity: storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: subject, UserID: userID},
				User:     &storage.User{TenantID: tenant, ID: userID, Username: username},
			}
		}
		mustCreateIdentity(t, s, fresh("first", "first", "s1"))
		tests := []struct {
			name string
			n    storage.NewIdentity
			want error
			// the user that must not exist afterwards
			gone string
		}{
			{"a subject that has an identity", fresh("second", "second", "s1"), storage.ErrAlreadyExists, "second"},
			{"a taken username", fresh("third", taken, "s3"), storage.ErrAlreadyExists, "third"},
			{"a missing connection", storage.NewIdentity{
				Identity: storage.Identity{TenantID: tenant, ConnectionID: "nope", Subject: "s4", UserID: "fourth"},
				User:     &storage.User{TenantID: tenant, ID: "fourth", Username: "fourth"}}, storage.ErrNotFound, "fourth"},
		}
		for _, tt := range tests {
			_, err := s.CreateIdentity(ctx, tt.n)
			checkErr(t, "CreateIdentity with "+tt.name, err, tt.want)
			if _, err := s.GetUser(ctx, tenant, tt.gone); err == nil {
				t.Errorf("CreateIdentity with %s left its user %q behind", tt.name, tt.gone)
			}
		}
		if _, _, err := s.GetIdentity(ctx, tenant, conn, "s3"); err == nil {
			t.Errorf("CreateIdentity with a taken username left its identity behind")
		}
	})

	t.Run("NewUserRace", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		errs := race(concurrency, func(i int) error {
			uid := fmt.Sprintf("racer-%d", i)
			_, err := s.CreateIdentity(ctx, storage.NewIdentity{
				Identity: storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: "same", UserID: uid},
				User:     &storage.User{TenantID: tenant, ID: uid, Username: uid}})
			return err
		})
		winner := checkRace(t, "CreateIdentity of one subject", errs, storage.ErrAlreadyExists)
		id, u, err := s.GetIdentity(ctx, tenant, conn, "same")
		if err != nil || winner < 0 || u.ID != fmt.Sprintf("racer-%d", winner) || id.UserID != u.ID {
			t.Errorf("GetIdentity after the race = %+v, %+v, %v; want the winner racer-%d", id, u, err, winner)
		}
		for i := range concurrency {
			if i == winner {
				continue
			}
			if _, err := s.GetUser(ctx, tenant, fmt.Sprintf("racer-%d", i)); err == nil {
				t.Errorf("loser racer-%d has a user", i)
				break
			}
		}
	})

	t.Run("Link", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn, other := newConnection(t, s, tenant), newConnection(t, s, tenant)
		verified := newVerified(t, tenant, "Alice@Example.COM", true)
		newVerified(t, tenant, "bob@example.com", false)
		newVerified(t, tenant, "twin@example.com", true)
		newVerified(t, tenant, "TWIN@example.com", true)
		link := func(subject, email string) (string, error) {
			return s.CreateIdentity(ctx, storage.NewIdentity{
				Identity:  storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: subject},
				LinkEmail: email})
		}
		got, err := link("a", "alice@example.com")
		if err != nil || got != verified {
			t.Errorf("CreateIdentity linking alice = %q, %v; want %q (case ignored)", got, err, verified)
		}
		if id, _, err := s.GetIdentity(ctx, tenant, conn, "a"); err != nil || id.UserID != verified {
			t.Errorf("GetIdentity(a) = %+v, %v; want linked to %q", id, err, verified)
		}
		tests := []struct {
			name, subject, email string
			want                 error
		}{
			{"an unverified address", "b", "bob@example.com", storage.ErrNotFound},
			{"an address two verified users have", "c", "twin@example.com", storage.ErrNotFound},
			{"an unknown address", "d", "nobody@example.com", storage.ErrNotFound},
			{"no address", "e", "", storage.ErrNotFound},
			{"a user who has an identity of the connection", "f", "alice@example.com", storage.ErrAlreadyExists},
			{"a subject that has an identity", "a", "alice@example.com", storage.ErrAlreadyExists},
		}
		for _, tt := range tests {
			_, err := link(tt.subject, tt.email)
			checkErr(t, "CreateIdentity linking "+tt.name, err, tt.want)
		}
		// Another connection may link the same user.
		if got, err := s.CreateIdentity(ctx, storage.NewIdentity{
			Identity: storage.Identity{TenantID: tenant, ConnectionID: other, Subject: "a"}, LinkEmail: "alice@example.com"}); err != nil || got != verified {
			t.Errorf("CreateIdentity linking alice at another connection = %q, %v; want %q", got, err, verified)
		}
		list, err := s.ListIdentities(ctx, tenant, verified)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListIdentities = %+v, %v; want 2", list, err)
		}
		if list[0].ConnectionID > list[1].ConnectionID {
			t.Errorf("ListIdentities not ordered by connection: %q, %q", list[0].ConnectionID, list[1].ConnectionID)
		}
	})

	t.Run("Update", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		u := storage.User{TenantID: tenant, ID: "u", Username: "u", Email: "old@example.com", EmailVerified: true, Name: "Old"}
		id := storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: "s", UserID: "u"}
		mustCreateIdentity(t, s, storage.NewIdentity{Identity: id, User: &u})

		// A sign-in with a new address and name, and tokens.
		id.Email, id.EmailVerified, id.Name = "new@example.com", false, "New"
		id.TokensSealed, id.TokensExpireAt, id.LastLoginAt = []byte{9}, zoned(2*time.Hour), zoned(time.Hour)
		checkErr(t, "UpdateIdentity", s.UpdateIdentity(ctx, id), nil)
		gotID, gotUser, err := s.GetIdentity(ctx, tenant, conn, "s")
		if err != nil {
			t.Fatal(err)
		}
		if gotID.Email != "new@example.com" || gotID.EmailVerified || gotID.Name != "New" || len(gotID.TokensSealed) != 1 ||
			!gotID.LastLoginAt.Equal(norm(zoned(time.Hour))) || !gotID.TokensExpireAt.Equal(norm(zoned(2*time.Hour))) {
			t.Errorf("GetIdentity after UpdateIdentity = %+v", gotID)
		}
		if gotUser.Email != "new@example.com" || gotUser.EmailVerified || gotUser.Name != "New" || !gotUser.UpdatedAt.Equal(norm(zoned(time.Hour))) {
			t.Errorf("user after UpdateIdentity = %+v; want the upstream's profile", gotUser)
		}

		// An upstream that says nothing of address and name leaves the
		// user's alone; tokens can be dropped.
		id.Email, id.EmailVerified, id.Name, id.TokensSealed, id.TokensExpireAt = "", true, "", nil, time.Time{}
		checkErr(t, "UpdateIdentity without a profile", s.UpdateIdentity(ctx, id), nil)
		gotID, gotUser, _ = s.GetIdentity(ctx, tenant, conn, "s")
		if gotUser.Email != "new@example.com" || gotUser.EmailVerified || gotUser.Name != "New" {
			t.Errorf("user after an empty profile = %+v; want it unchanged", gotUser)
		}
		if gotID.TokensSealed != nil || !gotID.TokensExpireAt.IsZero() {
			t.Errorf("identity tokens after dropping them = %v, %v; want none", gotID.TokensSealed, gotID.TokensExpireAt)
		}

		// Once unlinked, a sign-in in flight changes nothing.
		checkErr(t, "DeleteIdentity", s.DeleteIdentity(ctx, tenant, "u", conn), nil)
		id.Email, id.Name = "late@example.com", "Late"
		checkErr(t, "UpdateIdentity after DeleteIdentity", s.UpdateIdentity(ctx, id), storage.ErrNotFound)
		if got, _ := s.GetUser(ctx, tenant, "u"); got.Email != "new@example.com" || got.Name != "New" {
			t.Errorf("user after a late UpdateIdentity = %+v; want it unchanged", got)
		}
		checkErr(t, "DeleteIdentity again", s.DeleteIdentity(ctx, tenant, "u", conn), storage.ErrNotFound)
		if list, err := s.ListIdentities(ctx, tenant, "u"); err != nil || len(list) != 0 {
			t.Errorf("ListIdentities after DeleteIdentity = %v, %v; want none", list, err)
		}
	})

	t.Run("DeleteUserCascades", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		user := newVerified(t, tenant, "carol@example.com", true)
		mustCreateIdentity(t, s, storage.NewIdentity{Identity: storage.Identity{TenantID: tenant, ConnectionID: conn, Subject: "s"}, LinkEmail: "carol@example.com"})
		checkErr(t, "DeleteUser", s.DeleteUser(ctx, tenant, user), nil)
		_, _, err := s.GetIdentity(ctx, tenant, conn, "s")
		checkErr(t, "GetIdentity after DeleteUser", err, storage.ErrNotFound)
	})

	t.Run("PruneTokens", func(t *testing.T) {
		tenant := newTenant(t, s)
		conn := newConnection(t, s, tenant)
		mk := func(subject string, expires time.Time) {
			u := storage.User{TenantID: tenant, ID: subject, Username: subject}
			mustCreateIdentity(t, s, storage.NewIdentity{User: &u, Identity: storage.Identity{TenantID: tenant, ConnectionID: conn,
				Subject: subject, UserID: subject, TokensSealed: []byte{1}, TokensExpireAt: expires}})
		}
		mk("expired", base.Add(-time.Second))
		mk("live", base.Add(time.Hour))
		n, err := s.PruneIdentityTokens(ctx, base)
		if err != nil || n < 1 {
			t.Fatalf("PruneIdentityTokens = %d, %v; want at least the 1 expired", n, err)
		}
		if id, _, _ := s.GetIdentity(ctx, tenant, conn, "expired"); id.TokensSealed != nil || !id.TokensExpireAt.IsZero() {
			t.Errorf("expired tokens after pruning = %v, %v; want none", id.TokensSealed, id.TokensExpireAt)
		}
		if id, _, _ := s.GetIdentity(ctx, tenant, conn, "live"); id.TokensSealed == nil {
			t.Errorf("live tokens were pruned")
		}
		if n, err := s.PruneIdentityTokens(ctx, base); err != nil || n != 0 {
			t.Errorf("PruneIdentityTokens again = %d, %v; want 0, nil", n, err)
		}
	})
}
