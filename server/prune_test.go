//go:build !js

package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestScheduledPrunesExpiredRows: the cron deletes the code redemptions
// and refresh families that have expired, the sign-in failure streaks
// that have ended, the device authorizations past their expiry and the
// upstream tokens that have expired, and keeps the others (which
// rows may go is the storage suite's PruneExpired case; this checks that
// the scheduled job runs it, with the server's clock).
func TestScheduledPrunesExpiredRows(t *testing.T) {
	ctx := context.Background()
	store := newTestStore(t)
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	srv, err := server.New(server.Config{BaseURL: "http://127.0.0.1:1", AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: store, KV: kv.NewMemory(clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("tenant", store.CreateTenant(ctx, storage.Tenant{ID: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}))
	must("client", store.CreateClient(ctx, storage.Client{TenantID: "acme", ID: "app", GrantTypes: []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now}))
	family := func(id string, expires time.Time) *storage.RefreshFamily {
		return &storage.RefreshFamily{TenantID: "acme", ID: id, ClientID: "app", TokenHash: []byte(id + strings.Repeat("x", 32-len(id))),
			CreatedAt: now.Add(-2 * time.Hour), RotatedAt: now.Add(-2 * time.Hour), ExpiresAt: expires}
	}
	redeem := func(code string, expires time.Time, fam *storage.RefreshFamily) {
		must("redeem "+code, store.RedeemCode(ctx, storage.Redemption{TenantID: "acme", CodeHash: []byte(code + strings.Repeat("c", 32-len(code))),
			ClientID: "app", FamilyID: fam.ID, RedeemedAt: now.Add(-2 * time.Hour), ExpiresAt: expires}, fam, nil))
	}
	redeem("old", now.Add(-time.Minute), family("expired", now.Add(-time.Second)))
	redeem("new", now.Add(time.Hour), family("live", now.Add(time.Hour)))
	for user, at := range map[string]time.Time{"ended": now.Add(-25 * time.Hour), "recent": now.Add(-time.Hour)} {
		_, err := store.RecordLoginFailure(ctx, storage.LoginAttempt{TenantID: "acme", Username: user, Source: "192.0.2.1", At: at, Window: 24 * time.Hour})
		must("login failure of "+user, err)
	}
	for code, expires := range map[string]time.Time{"EXPIREDX": now.Add(-time.Second), "LIVEXXXX": now.Add(time.Minute)} {
		must("device authorization "+code, store.CreateDeviceAuthorization(ctx, storage.DeviceAuthorization{TenantID: "acme",
			DeviceHash: []byte(code + strings.Repeat("d", 24)), UserCode: code, ClientID: "app", Interval: 5, CreatedAt: now.Add(-time.Hour), ExpiresAt: expires}))
	}

	must("connection", store.CreateConnection(ctx, storage.Connection{TenantID: "acme", ID: "corp", Kind: storage.KindGitHub, ClientID: "x"}))
	for subject, expires := range map[string]time.Time{"stale": now.Add(-time.Second), "fresh": now.Add(time.Hour)} {
		_, err := store.CreateIdentity(ctx, storage.NewIdentity{
			Identity: storage.Identity{TenantID: "acme", ConnectionID: "corp", Subject: subject, UserID: subject, TokensSealed: []byte{1}, TokensExpireAt: expires},
			User:     &storage.User{TenantID: "acme", ID: subject, Username: subject}})
		must("identity "+subject, err)
	}

	if err := srv.RunScheduled(ctx); err != nil {
		t.Fatalf("RunScheduled: %v", err)
	}
	for _, tc := range []struct {
		what string
		err  error
		gone bool
	}{
		{"expired redemption", second(store.GetRedemption(ctx, "acme", []byte("old"+strings.Repeat("c", 29)))), true},
		{"expired family", second(store.GetRefreshFamily(ctx, "acme", "expired")), true},
		{"live redemption", second(store.GetRedemption(ctx, "acme", []byte("new"+strings.Repeat("c", 29)))), false},
		{"live family", second(store.GetRefreshFamily(ctx, "acme", "live")), false},
		{"ended sign-in failure streak", streak(store.GetLoginState(ctx, "acme", "ended", "192.0.2.1")), true},
		{"recent sign-in failure streak", streak(store.GetLoginState(ctx, "acme", "recent", "192.0.2.1")), false},
		{"expired device authorization", second(store.GetDeviceAuthorization(ctx, "acme", "EXPIREDX")), true},
		{"live device authorization", second(store.GetDeviceAuthorization(ctx, "acme", "LIVEXXXX")), false},
		{"expired upstream tokens", tokens(store.GetIdentity(ctx, "acme", "corp", "stale")), true},
		{"live upstream tokens", tokens(store.GetIdentity(ctx, "acme", "corp", "fresh")), false},
	} {
		if gone := errors.Is(tc.err, storage.ErrNotFound); gone != tc.gone || (!gone && tc.err != nil) {
			t.Errorf("%s after the scheduled job: err %v; want gone=%v", tc.what, tc.err, tc.gone)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// tokens is ErrNotFound when an identity keeps no upstream tokens.
func tokens(id storage.Identity, _ storage.User, err error) error {
	if err == nil && id.TokensSealed == nil {
		return storage.ErrNotFound
	}
	return err
}

// streak is ErrNotFound when a login state has no failure streak.
func streak(st storage.LoginState, err error) error {
	if err == nil && st.Failures == nil {
		return storage.ErrNotFound
	}
	return err
}
