package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testConsents(t *testing.T, s storage.Store) {
	ctx := context.Background()
	tenant := newTenant(t, s)
	client, user := newClient(t, s, tenant), newUser(t, s, tenant)

	_, err := s.GetConsent(ctx, tenant, user, client)
	checkErr(t, call("GetConsent", tenant, user, client)+" before PutConsent", err, storage.ErrNotFound)

	puts := []storage.Consent{
		{TenantID: tenant, UserID: user, ClientID: client, Scope: "openid", GrantedAt: zoned(0)},
		{TenantID: tenant, UserID: user, ClientID: client, Scope: "openid profile email", Resources: []string{"", "https://api.example/"}, GrantedAt: zoned(time.Hour)},
		{TenantID: tenant, UserID: user, ClientID: client, Scope: "openid", Resources: []string{"https://other.example/"}, GrantedAt: zoned(2 * time.Hour)},
	}
	for i, c := range puts {
		if err := s.PutConsent(ctx, c); err != nil {
			t.Fatalf("PutConsent #%d = %v; want nil", i, err)
		}
		got, err := s.GetConsent(ctx, tenant, user, client)
		if err != nil {
			t.Fatalf("GetConsent after PutConsent #%d = %v; want nil", i, err)
		}
		want := c
		want.GrantedAt = norm(c.GrantedAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetConsent after PutConsent #%d mismatch (-want +got):\n%s", i, diff)
		}
		checkTimes(t, "GetConsent", map[string]time.Time{"GrantedAt": got.GrantedAt})
	}
	other := newClient(t, s, tenant)
	_, err = s.GetConsent(ctx, tenant, user, other)
	checkErr(t, call("GetConsent", tenant, user, other)+" for another client", err, storage.ErrNotFound)
	t.Run("Revoke", func(t *testing.T) { testConsentRevocation(t, s) })
}

// testConsentRevocation: listing a user's consents, and revoking one or
// all of them with the grants of those clients.
func testConsentRevocation(t *testing.T, s storage.Store) {
	ctx := context.Background()
	tenant := newTenant(t, s)
	c1, c2, c3 := newClient(t, s, tenant), newClient(t, s, tenant), newClient(t, s, tenant)
	if c1 > c2 {
		c1, c2 = c2, c1
	}
	user, other := newUser(t, s, tenant), newUser(t, s, tenant)
	for _, c := range []storage.Consent{
		{UserID: user, ClientID: c1, Scope: "openid"}, {UserID: user, ClientID: c2, Scope: "read", Resources: []string{""}},
		{UserID: other, ClientID: c1, Scope: "openid"},
	} {
		c.TenantID, c.GrantedAt = tenant, base
		if err := s.PutConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct{ id, client, user string }{{"f1", c1, user}, {"f2", c2, user}, {"f3", c3, user}, {"fo", c1, other}} {
		if err := s.CreateRefreshFamily(ctx, storage.RefreshFamily{TenantID: tenant, ID: f.id, ClientID: f.client, UserID: f.user,
			TokenHash: randBytes(32), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListConsents(ctx, tenant, user)
	want := []storage.Consent{
		{TenantID: tenant, UserID: user, ClientID: c1, Scope: "openid", GrantedAt: base},
		{TenantID: tenant, UserID: user, ClientID: c2, Scope: "read", Resources: []string{""}, GrantedAt: base},
	}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("ListConsents = %v, mismatch (-want +got):\n%s", err, diff)
	}
	at := base.Add(time.Minute)
	revoked := func(id string) bool {
		f, err := s.GetRefreshFamily(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return !f.RevokedAt.IsZero()
	}
	if n, g, err := s.RevokeConsents(ctx, tenant, user, c1, at); err != nil || n != 1 || g != 1 {
		t.Errorf("RevokeConsents(c1) = %d, %d, %v; want 1, 1, nil", n, g, err)
	}
	if !revoked("f1") || revoked("f2") || revoked("fo") {
		t.Errorf("after revoking the consent for c1: f1 %v f2 %v fo %v; want only f1 revoked", revoked("f1"), revoked("f2"), revoked("fo"))
	}
	_, err = s.GetConsent(ctx, tenant, user, c1)
	checkErr(t, "GetConsent(c1) after RevokeConsents", err, storage.ErrNotFound)
	if n, g, err := s.RevokeConsents(ctx, tenant, user, c1, at); err != nil || n != 0 || g != 0 {
		t.Errorf("RevokeConsents(c1) again = %d, %d, %v; want 0, 0, nil", n, g, err)
	}
	// Every consent: c2's grant goes, c3's (no consent) stays.
	if n, g, err := s.RevokeConsents(ctx, tenant, user, "", at); err != nil || n != 1 || g != 1 {
		t.Errorf("RevokeConsents(all) = %d, %d, %v; want 1, 1, nil", n, g, err)
	}
	if !revoked("f2") || revoked("f3") || revoked("fo") {
		t.Errorf("after revoking every consent: f2 %v f3 %v fo %v; want f2 revoked only", revoked("f2"), revoked("f3"), revoked("fo"))
	}
	if cs, err := s.ListConsents(ctx, tenant, other); err != nil || len(cs) != 1 {
		t.Errorf("the other user's consents = %d, %v; want 1 untouched", len(cs), err)
	}
}
