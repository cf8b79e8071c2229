//go:build !js

package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/kvrecord"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestCodeOfTheVersionBefore: a code carries its user's claims, so the
// exchange reads no user; a code stored by the version before (no claims,
// still in KV for up to a minute after an upgrade) is exchanged with the
// user read, and its tokens carry the same claims.
func TestCodeOfTheVersionBefore(t *testing.T) {
	kvs := kv.NewMemory(time.Now)
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(), Store: newTestStore(t), KV: kvs})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"],"scope":"openid profile email read"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"correct horse","email":"alice@example.com","roles":["admin"]}`, 201)
	form := "application/x-www-form-urlencoded"
	path := authorizeWith("app", url.Values{"scope": {"openid profile email read"}})

	code := func() string {
		t.Helper()
		r := ls.do("GET", path, "", "")
		if strings.HasPrefix(r.loc, "/t/acme/login?") {
			page := ls.do("GET", r.loc, "", "")
			r = ls.do("POST", "/t/acme/login", form, pageForm(page.body, url.Values{"username": {"alice"}, "password": {"correct horse"}}).Encode())
		}
		u, err := url.Parse(r.loc)
		if err != nil || u.Query().Get("code") == "" {
			t.Fatalf("no code: %d %q %.200s", r.status, r.loc, r.body)
		}
		return u.Query().Get("code")
	}
	claims := func(name, c string) (roles []string, username, email string) {
		t.Helper()
		r := ls.do("POST", "/t/acme/token", form, url.Values{"grant_type": {"authorization_code"}, "code": {c},
			"code_verifier": {testVerifier}, "redirect_uri": {testRedirect}, "client_id": {"app"}}.Encode())
		var tok struct {
			AccessToken string `json:"access_token"`
			IDToken     string `json:"id_token"`
		}
		if err := json.Unmarshal([]byte(r.body), &tok); err != nil || r.status != 200 {
			t.Fatalf("%s: exchange = %d %.100s", name, r.status, r.body)
		}
		var at struct{ Roles []string }
		var id struct {
			Username string `json:"preferred_username"`
			Email    string `json:"email"`
		}
		payload(t, tok.AccessToken, &at)
		payload(t, tok.IDToken, &id)
		return at.Roles, id.Username, id.Email
	}
	check := func(name, c string) {
		t.Helper()
		roles, username, email := claims(name, c)
		if !slices.Equal(roles, []string{"admin"}) || username != "alice" || email != "alice@example.com" {
			t.Errorf("%s: roles %q, preferred_username %q, email %q; want [admin], alice, alice@example.com", name, roles, username, email)
		}
	}

	check("a code of this version", code())

	old := code()
	ctx := context.Background()
	b, err := kvs.Get(ctx, kvrecord.Key("code", old))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil || rec["uc"] == nil {
		t.Fatalf("the code record %s has no user claims (uc): %v", b, err)
	}
	delete(rec, "uc")
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := kvs.Put(ctx, kvrecord.Key("code", old), b, time.Minute); err != nil {
		t.Fatal(err)
	}
	check("a code of the version before", old)
}

// payload decodes a JWT's claims without checking it.
func payload(t *testing.T, jwt string, v any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
