package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func TestAdminAuth(t *testing.T) {
	cases := []struct {
		name, header, wantChallenge string
	}{
		{"no header", "", `Bearer realm="edgeauth-admin"`},
		{"wrong token", "Bearer " + randomSecret(), `Bearer realm="edgeauth-admin", error="invalid_token"`},
		{"basic scheme", "Basic " + target.adminToken, `Bearer realm="edgeauth-admin"`},
		{"empty bearer", "Bearer ", `Bearer realm="edgeauth-admin"`},
		{"token with suffix", "Bearer " + target.adminToken + "x", `Bearer realm="edgeauth-admin", error="invalid_token"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := request{method: "GET", path: "/admin/v1/tenants/demo"}
			if tc.header != "" {
				q.header = map[string]string{"Authorization": tc.header}
			}
			r := q.do(t)
			if r.status != http.StatusUnauthorized || r.field("error") != "invalid_token" {
				t.Fatalf("status %d body %s; want 401 invalid_token", r.status, r.body)
			}
			if got := r.header.Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q; want %q", got, tc.wantChallenge)
			}
			if strings.Contains(string(r.body), target.adminToken) {
				t.Errorf("the answer echoes the admin token")
			}
		})
	}
	// "bearer" is case-insensitive (RFC 9110 §11.1).
	r := request{method: "POST", path: "/admin/v1/tenants", body: map[string]any{"id": newTenantID(t)},
		header: map[string]string{"Authorization": "bearer " + target.adminToken}}.do(t)
	mustStatus(t, "lowercase bearer", r, http.StatusCreated)
	adminDo(t, "DELETE", "/admin/v1/tenants/"+r.field("id"), nil)
}

func TestTenantLifecycle(t *testing.T) {
	id := newTenantID(t)
	r := adminDo(t, "POST", "/admin/v1/tenants", map[string]any{
		"id": id, "name": "Acme", "settings": map[string]any{"access_token_ttl": 300, "registration": "token"},
	})
	mustStatus(t, "create", r, http.StatusCreated)
	if got, want := r.field("issuer"), target.url+"/t/"+id; got != want {
		t.Errorf("issuer = %q; want %q", got, want)
	}
	mustStatus(t, "create again", adminDo(t, "POST", "/admin/v1/tenants", map[string]any{"id": id}), http.StatusConflict)

	r = adminDo(t, "PATCH", "/admin/v1/tenants/"+id, map[string]any{"name": "Acme Inc", "settings": map[string]any{"signing_alg": "EdDSA"}})
	mustStatus(t, "patch", r, http.StatusOK)
	var got struct {
		Name     string
		Settings map[string]any
	}
	adminDo(t, "GET", "/admin/v1/tenants/"+id, nil).decode(t, &got)
	if got.Name != "Acme Inc" || got.Settings["access_token_ttl"] != 300.0 || got.Settings["registration"] != "token" || got.Settings["signing_alg"] != "EdDSA" {
		t.Errorf("after PATCH: %+v; want name Acme Inc, ttl 300 kept, registration token kept, alg EdDSA", got)
	}

	mustStatus(t, "delete", adminDo(t, "DELETE", "/admin/v1/tenants/"+id, nil), http.StatusNoContent)
	mustStatus(t, "get deleted", adminDo(t, "GET", "/admin/v1/tenants/"+id, nil), http.StatusNotFound)
	mustStatus(t, "jwks of deleted", request{method: "GET", path: "/t/" + id + "/jwks.json"}.do(t), http.StatusNotFound)
	mustStatus(t, "delete again", adminDo(t, "DELETE", "/admin/v1/tenants/"+id, nil), http.StatusNotFound)
}

func TestClientLifecycle(t *testing.T) {
	tenant := createTenant(t)
	base := "/admin/v1/tenants/" + tenant + "/clients"

	// Confidential: the secret is shown once.
	r := adminDo(t, "POST", base, map[string]any{
		"client_name": "Web app", "redirect_uris": []string{"https://app.example.com/cb"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "scope": "openid read read",
	})
	mustStatus(t, "create confidential", r, http.StatusCreated)
	var created struct {
		ClientID              string   `json:"client_id"`
		ClientSecret          string   `json:"client_secret"`
		ClientSecretExpiresAt *int64   `json:"client_secret_expires_at"`
		TokenEndpointAuth     string   `json:"token_endpoint_auth_method"`
		ResponseTypes         []string `json:"response_types"`
		Scope                 string   `json:"scope"`
	}
	r.decode(t, &created)
	if created.ClientID == "" || len(created.ClientSecret) < 43 || created.ClientSecretExpiresAt == nil || *created.ClientSecretExpiresAt != 0 {
		t.Errorf("create: %s; want client_id, a 256-bit client_secret and client_secret_expires_at 0", r.body)
	}
	// RFC 7591 §2 defaults.
	if created.TokenEndpointAuth != "client_secret_basic" || len(created.ResponseTypes) != 1 || created.ResponseTypes[0] != "code" {
		t.Errorf("defaults: auth %q response_types %v; want client_secret_basic [code]", created.TokenEndpointAuth, created.ResponseTypes)
	}
	if created.Scope != "openid read" {
		t.Errorf("scope = %q; want duplicates removed: %q", created.Scope, "openid read")
	}
	get := adminDo(t, "GET", base+"/"+created.ClientID, nil)
	mustStatus(t, "get", get, http.StatusOK)
	if strings.Contains(string(get.body), "client_secret\"") || strings.Contains(string(get.body), created.ClientSecret) {
		t.Errorf("GET shows the secret: %s", get.body)
	}

	rot := adminDo(t, "POST", base+"/"+created.ClientID+"/secret", nil)
	mustStatus(t, "rotate secret", rot, http.StatusOK)
	if s := rot.field("client_secret"); s == "" || s == created.ClientSecret {
		t.Errorf("rotated secret %q; want a new one", s)
	}

	// Public, chosen id, loopback and private-use redirect URIs.
	pub := adminDo(t, "POST", base, map[string]any{
		"client_id": "cli", "token_endpoint_auth_method": "none", "first_party": true,
		"redirect_uris": []string{"http://127.0.0.1/callback", "http://[::1]:8080/cb", "com.example.app:/oauth"},
	})
	mustStatus(t, "create public", pub, http.StatusCreated)
	if pub.field("client_secret") != "" || strings.Contains(string(pub.body), "client_secret_expires_at") {
		t.Errorf("public client got a secret: %s", pub.body)
	}
	mustStatus(t, "duplicate client id", adminDo(t, "POST", base, map[string]any{"client_id": "cli", "token_endpoint_auth_method": "none", "redirect_uris": []string{"https://x.example/cb"}}), http.StatusConflict)
	mustStatus(t, "rotate public secret", adminDo(t, "POST", base+"/cli/secret", nil), http.StatusBadRequest)

	// client_credentials only: no redirect URIs, no response types.
	svc := adminDo(t, "POST", base, map[string]any{"grant_types": []string{"client_credentials"}, "scope": "read"})
	mustStatus(t, "create service", svc, http.StatusCreated)

	patch := adminDo(t, "PATCH", base+"/cli", map[string]any{"client_name": "CLI", "redirect_uris": []string{"http://127.0.0.1/cb2"}})
	mustStatus(t, "patch", patch, http.StatusOK)
	if patch.field("client_name") != "CLI" {
		t.Errorf("patch: %s", patch.body)
	}
	mustStatus(t, "patch to confidential", adminDo(t, "PATCH", base+"/cli", map[string]any{"token_endpoint_auth_method": "client_secret_post"}), http.StatusBadRequest)

	var list struct {
		Clients []struct {
			ClientID string `json:"client_id"`
		} `json:"clients"`
	}
	adminDo(t, "GET", base, nil).decode(t, &list)
	if len(list.Clients) != 3 {
		t.Errorf("list has %d clients; want 3", len(list.Clients))
	}
	mustStatus(t, "delete", adminDo(t, "DELETE", base+"/cli", nil), http.StatusNoContent)
	mustStatus(t, "get deleted", adminDo(t, "GET", base+"/cli", nil), http.StatusNotFound)
}

func TestUserLifecycle(t *testing.T) {
	tenant := createTenant(t)
	base := "/admin/v1/tenants/" + tenant + "/users"
	password := "correct horse battery staple"
	r := adminDo(t, "POST", base, map[string]any{"username": "alice", "password": password, "email": "alice@example.com", "roles": []string{"admin", "admin", "billing"}})
	mustStatus(t, "create", r, http.StatusCreated)
	var u struct {
		ID, Username, Email string
		Roles               []string
	}
	r.decode(t, &u)
	if u.ID == "" || u.Username != "alice" || len(u.Roles) != 2 {
		t.Errorf("create: %s", r.body)
	}
	if strings.Contains(string(r.body), password) || strings.Contains(string(r.body), "pbkdf2") {
		t.Errorf("the answer shows the password or its hash: %s", r.body)
	}
	mustStatus(t, "duplicate username", adminDo(t, "POST", base, map[string]any{"username": "alice", "password": password}), http.StatusConflict)

	// Listing: in username order, by prefix, a page at a time.
	for _, name := range []string{"bob", "alicia"} {
		mustStatus(t, "create "+name, adminDo(t, "POST", base, map[string]any{"username": name, "password": password}), http.StatusCreated)
	}
	type page struct {
		Users []struct {
			ID, Username string
			HasPassword  bool `json:"has_password"`
		}
		NextAfter string `json:"next_after"`
	}
	for _, c := range []struct {
		query     string
		want      []string
		nextAfter string
	}{
		{"", []string{"alice", "alicia", "bob"}, ""},
		{"?prefix=ali", []string{"alice", "alicia"}, ""},
		{"?prefix=ali&limit=1", []string{"alice"}, "alice"},
		{"?prefix=ali&limit=1&after=alice", []string{"alicia"}, "alicia"},
		{"?prefix=ali&limit=1&after=alicia", nil, ""},
		{"?prefix=alice", []string{"alice"}, ""},
		{"?prefix=carol", nil, ""},
	} {
		r := adminDo(t, "GET", base+c.query, nil)
		mustStatus(t, "list "+c.query, r, http.StatusOK)
		if strings.Contains(string(r.body), "pbkdf2") || strings.Contains(string(r.body), "password_hash") {
			t.Errorf("list %s shows password hashes: %s", c.query, r.body)
		}
		var p page
		r.decode(t, &p)
		var got []string
		for _, u := range p.Users {
			got = append(got, u.Username)
			if u.ID == "" || !u.HasPassword {
				t.Errorf("list %s: user %+v; want an id and has_password", c.query, u)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") || p.NextAfter != c.nextAfter {
			t.Errorf("list %s = %v, next_after %q; want %v, %q", c.query, got, p.NextAfter, c.want, c.nextAfter)
		}
	}
	mustStatus(t, "get", adminDo(t, "GET", base+"/"+u.ID, nil), http.StatusOK)
	mustStatus(t, "delete", adminDo(t, "DELETE", base+"/"+u.ID, nil), http.StatusNoContent)
	mustStatus(t, "get deleted", adminDo(t, "GET", base+"/"+u.ID, nil), http.StatusNotFound)
	mustStatus(t, "username free again", adminDo(t, "POST", base, map[string]any{"username": "alice", "password": password}), http.StatusCreated)
}

// TestPatchUserVerifiesAnAddress: email_verified true verifies an address
// the user has or is given in the same PATCH; for a user without one it
// is a 400, as at creation, not a silent false.
func TestPatchUserVerifiesAnAddress(t *testing.T) {
	tenant := createTenant(t)
	users := "/admin/v1/tenants/" + tenant + "/users"
	r := adminDo(t, "POST", users, map[string]any{"username": "noaddress", "password": "long enough pw"})
	mustStatus(t, "create a user without an address", r, http.StatusCreated)
	user := users + "/" + r.field("id")
	mustOAuthError(t, "verify no address", adminDo(t, "PATCH", user, map[string]any{"email_verified": true}), http.StatusBadRequest, "invalid_request")
	mustOAuthError(t, "verify no address, of nobody", adminDo(t, "PATCH", users+"/nobody", map[string]any{"email_verified": true}), http.StatusNotFound, "not_found")
	r = adminDo(t, "PATCH", user, map[string]any{"email": "a@acme.example"})
	mustStatus(t, "give an address", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"email_verified":false`) {
		t.Errorf("a new address: %s; want it unverified", r.body)
	}
	r = adminDo(t, "PATCH", user, map[string]any{"email_verified": true})
	mustStatus(t, "verify the address it has", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"email_verified":true`) {
		t.Errorf("after verifying: %s; want it verified", r.body)
	}
}
