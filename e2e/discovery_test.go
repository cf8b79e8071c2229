package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares a JSON body with testdata/name after replacing the
// server's base URL and the tenant id with placeholders, so the files hold
// no port numbers.
func golden(t *testing.T, name string, body []byte, tenant string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, body)
	}
	norm, _ := json.MarshalIndent(v, "", "  ")
	norm = bytes.ReplaceAll(norm, []byte(target.url), []byte("{BASE}"))
	norm = bytes.ReplaceAll(norm, []byte(tenant), []byte("{TENANT}"))
	norm = append(norm, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, norm, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./e2e -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(norm)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestMetadata(t *testing.T) {
	tenant := createTenant(t)
	issuer := target.url + "/t/" + tenant

	// RFC 8414 §3.1: the well-known segment goes between host and path; the
	// suffix form is served too. Both are the same document.
	insert := request{method: "GET", path: "/.well-known/oauth-authorization-server/t/" + tenant}.do(t)
	suffix := request{method: "GET", path: "/t/" + tenant + "/.well-known/oauth-authorization-server"}.do(t)
	mustStatus(t, "metadata (inserted form)", insert, http.StatusOK)
	mustStatus(t, "metadata (suffix form)", suffix, http.StatusOK)
	if !bytes.Equal(insert.body, suffix.body) {
		t.Errorf("the two metadata forms differ:\n%s\n%s", insert.body, suffix.body)
	}
	// RFC 8414 §3.3: issuer MUST be identical to the issuer identifier.
	if got := insert.field("issuer"); got != issuer {
		t.Errorf("issuer = %q; want %q", got, issuer)
	}
	if ct := insert.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	golden(t, "metadata.json", insert.body, tenant)

	oidc := request{method: "GET", path: "/t/" + tenant + "/.well-known/openid-configuration"}.do(t)
	mustStatus(t, "openid-configuration", oidc, http.StatusOK)
	if got := oidc.field("issuer"); got != issuer {
		t.Errorf("openid-configuration issuer = %q; want %q", got, issuer)
	}
	golden(t, "openid-configuration.json", oidc.body, tenant)
	// The path-inserted form, one of the forms MCP clients try (MCP
	// authorization 2025-11-25), is the same document.
	inserted := request{method: "GET", path: "/.well-known/openid-configuration/t/" + tenant}.do(t)
	mustStatus(t, "openid-configuration (inserted form)", inserted, http.StatusOK)
	if !bytes.Equal(inserted.body, oidc.body) {
		t.Errorf("the two openid-configuration forms differ:\n%s\n%s", inserted.body, oidc.body)
	}

	// Both documents say which scopes the server serves, and say the same
	// (RFC 8414 §2 scopes_supported, OIDC Discovery §3).
	var a, b struct {
		Scopes []string `json:"scopes_supported"`
	}
	insert.decode(t, &a)
	oidc.decode(t, &b)
	if len(a.Scopes) == 0 || !slices.Equal(a.Scopes, b.Scopes) {
		t.Errorf("scopes_supported: RFC 8414 %q, OIDC %q; want the same, not empty", a.Scopes, b.Scopes)
	}
}

func TestMetadataUnknownTenant(t *testing.T) {
	for _, path := range []string{
		"/.well-known/oauth-authorization-server/t/no-such-tenant",
		"/t/no-such-tenant/.well-known/oauth-authorization-server",
		"/t/no-such-tenant/.well-known/openid-configuration",
		"/.well-known/openid-configuration/t/no-such-tenant",
		"/t/no-such-tenant/jwks.json",
		"/t/UPPER/jwks.json",
	} {
		r := request{method: "GET", path: path}.do(t)
		if r.status != http.StatusNotFound || r.field("error") != "not_found" {
			t.Errorf("GET %s = %d %s; want 404 not_found", path, r.status, r.body)
		}
	}
}

// The discovery documents and the JWKS are readable from any origin, so
// that a browser-based client can fetch them; credentials never are. Asked
// twice: the Worker's pool answers the second without Go.
func TestDocumentsCrossOrigin(t *testing.T) {
	tenant := createTenant(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server/t/" + tenant, "/t/" + tenant + "/.well-known/oauth-authorization-server",
		"/t/" + tenant + "/.well-known/openid-configuration", "/.well-known/openid-configuration/t/" + tenant, "/t/" + tenant + "/jwks.json"} {
		for range 2 {
			r := request{method: "GET", path: path, header: map[string]string{"Origin": "https://spa.example"}}.do(t)
			mustStatus(t, path, r, http.StatusOK)
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("GET %s: Access-Control-Allow-Origin %q; want *", path, got)
			}
			if r.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("GET %s allows credentials", path)
			}
		}
	}
}

var maxAgeRE = regexp.MustCompile(`(?:^|[ ,])max-age=(\d+)`)

func TestJWKS(t *testing.T) {
	tenant := createTenant(t)
	r := request{method: "GET", path: "/t/" + tenant + "/jwks.json"}.do(t)
	mustStatus(t, "jwks", r, http.StatusOK)

	m := maxAgeRE.FindStringSubmatch(r.header.Get("Cache-Control"))
	if m == nil {
		t.Fatalf("Cache-Control = %q; want a max-age", r.header.Get("Cache-Control"))
	}
	if age, _ := strconv.Atoi(m[1]); age < 60 {
		t.Errorf("max-age = %d; want at least 60", age)
	}

	var set jose.JSONWebKeySet
	r.decode(t, &set)
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	r.decode(t, &raw)
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has private member %q", k["kid"], private)
			}
		}
	}

	keys := adminDo(t, "GET", "/admin/v1/tenants/"+tenant+"/keys", nil)
	mustStatus(t, "list keys", keys, http.StatusOK)
	var listed struct {
		Keys []struct{ KID, Alg, Use, State string } `json:"keys"`
	}
	keys.decode(t, &listed)
	algs := map[string]string{}
	var kinds []string
	for _, k := range listed.Keys {
		algs[k.KID] = k.Alg
		kinds = append(kinds, k.Use+"/"+k.State+"/"+k.Alg)
	}
	// A new tenant: a signing and a pre-published access key, and the RS256
	// ID-token key OIDC Discovery requires.
	want := []string{"access/current/ES256", "access/next/ES256", "id/current/RS256"}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(kinds))); diff != "" {
		t.Errorf("keys (use/state/alg) (-want +got):\n%s", diff)
	}

	if len(set.Keys) != len(listed.Keys) {
		t.Fatalf("JWKS has %d keys; the admin API lists %d", len(set.Keys), len(listed.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			t.Errorf("JWKS key %s: public=%v valid=%v", k.KeyID, k.IsPublic(), k.Valid())
		}
		if alg, ok := algs[k.KeyID]; !ok || k.Algorithm != alg || k.Use != "sig" {
			t.Errorf("JWKS key %s: alg %q use %q; want it listed by the admin API (alg %q) with use sig", k.KeyID, k.Algorithm, k.Use, alg)
		}
	}
}
