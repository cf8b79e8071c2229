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
}
