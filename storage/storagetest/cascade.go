package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// testCascade fills a tenant with one of everything, deletes the tenant and
// checks that all of it is gone but its audit events, which outlive it
// (append-only), while a neighbour tenant is untouched.
func testCascade(t *testing.T, s storage.Store) {
	ctx := context.Background()
	fill := func(t *testing.T, tenant string) (client, user string, hash []byte) {
		client, user, hash = newClient(t, s, tenant), newUser(t, s, tenant), randBytes(32)
		steps := []struct {
			name string
			err  error
		}{
			{"CreateKey", s.CreateKey(ctx, storage.SigningKey{TenantID: tenant, KID: "k1", Alg: "ES256", Use: storage.UseAccessToken, State: storage.KeyNext})},
			{"CreateRefreshFamily", s.CreateRefreshFamily(ctx, storage.RefreshFamily{TenantID: tenant, ID: "f1", ClientID: client, UserID: user, TokenHash: randBytes(32)})},
			{"RedeemCode", s.RedeemCode(ctx, storage.Redemption{TenantID: tenant, CodeHash: hash, ClientID: client}, nil, nil)},
			{"PutConsent", s.PutConsent(ctx, storage.Consent{TenantID: tenant, UserID: user, ClientID: client, Scope: "openid"})},
			{"CreateSession", s.CreateSession(ctx, storage.Session{TenantID: tenant, ID: "s1", SecretHash: randBytes(32), UserID: user,
				AuthTime: base, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}, 10)},
			{"AppendAudit", s.AppendAudit(ctx, storage.AuditEvent{TenantID: tenant, Time: base, Event: "client.created"})},
			{"CreateDeviceAuthorization", s.CreateDeviceAuthorization(ctx, storage.DeviceAuthorization{TenantID: tenant, DeviceHash: hash,
				UserCode: "CASCADE1", ClientID: client, Interval: 5, ExpiresAt: base.Add(time.Hour)})},
			{"CreateConnection", s.CreateConnection(ctx, storage.Connection{TenantID: tenant, ID: "c1", Kind: storage.KindGitHub, ClientID: "x"})},
			{"CreateIdentity", func() error {
				_, err := s.CreateIdentity(ctx, storage.NewIdentity{
					Identity: storage.Identity{TenantID: tenant, ConnectionID: "c1", Subject: "s1", UserID: "jit-" + user},
					User:     &storage.User{TenantID: tenant, ID: "jit-" + user, Username: "jit-" + user}})
				return err
			}()},
		}
		for _, st := range steps {
			if st.err != nil {
				t.Fatalf("%s in %q = %v; want nil", st.name, tenant, st.err)
			}
		}
		return client, user, hash
	}
	tenant, neighbour := newTenant(t, s), newTenant(t, s)
	client, user, hash := fill(t, tenant)
	nClient, nUser, nHash := fill(t, neighbour)

	if err := s.DeleteTenant(ctx, tenant); err != nil {
		t.Fatalf("DeleteTenant(%q) = %v; want nil", tenant, err)
	}

	// check runs every read against tenant tn and expects want from the
	// single-record reads, n records from the lists and one audit event.
	check := func(t *testing.T, tn, client, user string, hash []byte, want error, n int) {
		t.Helper()
		reads := []struct {
			name string
			err  error
		}{
			{"GetTenant", func() error { _, err := s.GetTenant(ctx, tn); return err }()},
			{"GetClient", func() error { _, err := s.GetClient(ctx, tn, client); return err }()},
			{"GetUser", func() error { _, err := s.GetUser(ctx, tn, user); return err }()},
			{"GetLoginState.User", func() error { _, err := userByName(s, tn, user); return err }()},
			{"GetRefreshFamily", func() error { _, err := s.GetRefreshFamily(ctx, tn, "f1"); return err }()},
			{"GetRefreshGrant", func() error { _, _, err := s.GetRefreshGrant(ctx, tn, "f1"); return err }()},
			{"GetRedemption", func() error { _, err := s.GetRedemption(ctx, tn, hash); return err }()},
			{"GetConsent", func() error { _, err := s.GetConsent(ctx, tn, user, client); return err }()},
			{"GetSession", func() error { _, _, err := s.GetSession(ctx, tn, "s1"); return err }()},
			{"GetDeviceAuthorization", func() error { _, err := s.GetDeviceAuthorization(ctx, tn, "CASCADE1"); return err }()},
			{"GetConnection", func() error { _, err := s.GetConnection(ctx, tn, "c1"); return err }()},
			{"GetIdentity", func() error { _, _, err := s.GetIdentity(ctx, tn, "c1", "s1"); return err }()},
		}
		for _, r := range reads {
			checkErr(t, r.name+"("+tn+")", r.err, want)
		}
		lists := []struct {
			name string
			n    int
			err  error
		}{
			{"ListClients", 0, nil}, {"ListKeys", 0, nil}, {"ListConnections", 0, nil},
		}
		clients, err := s.ListClients(ctx, tn)
		lists[0].n, lists[0].err = len(clients), err
		keys, err := s.ListKeys(ctx, tn)
		lists[1].n, lists[1].err = len(keys), err
		conns, err := s.ListConnections(ctx, tn)
		lists[2].n, lists[2].err = len(conns), err
		if events, err := s.ListAudit(ctx, storage.AuditQuery{TenantID: tn}); err != nil || len(events) != 1 {
			t.Errorf("ListAudit(%q) = %d events, %v; want its 1 (events outlive their tenant), nil", tn, len(events), err)
		}
		for _, l := range lists {
			if l.err != nil || l.n != n {
				t.Errorf("%s(%q) = %d records, %v; want %d, nil", l.name, tn, l.n, l.err, n)
			}
		}
	}
	t.Run("deleted tenant is empty", func(t *testing.T) {
		check(t, tenant, client, user, hash, storage.ErrNotFound, 0)
	})
	t.Run("neighbour is untouched", func(t *testing.T) {
		check(t, neighbour, nClient, nUser, nHash, nil, 1)
	})
	t.Run("id can be reused", func(t *testing.T) {
		if err := s.CreateTenant(ctx, storage.Tenant{ID: tenant, CreatedAt: base.Add(time.Hour)}); err != nil {
			t.Fatalf("CreateTenant(%q) after delete = %v; want nil", tenant, err)
		}
		// A redemption of the old tenant must not survive into the new one.
		_, err := s.GetRedemption(ctx, tenant, hash)
		checkErr(t, "GetRedemption in the recreated tenant", err, storage.ErrNotFound)
	})
}
