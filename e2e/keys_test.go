package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

type keyInfo struct {
	KID, Alg, Use, State string
}

func listKeys(t *testing.T, tenant string) []keyInfo {
	t.Helper()
	var out struct{ Keys []keyInfo }
	r := adminDo(t, "GET", "/admin/v1/tenants/"+tenant+"/keys", nil)
	mustStatus(t, "list keys", r, http.StatusOK)
	r.decode(t, &out)
	return out.Keys
}

func keyIn(keys []keyInfo, use, state string) (keyInfo, int) {
	var found keyInfo
	n := 0
	for _, k := range keys {
		if k.Use == use && k.State == state {
			found, n = k, n+1
		}
	}
	return found, n
}

func jwksKIDs(t *testing.T, tenant string) map[string]bool {
	t.Helper()
	var set jose.JSONWebKeySet
	request{method: "GET", path: "/t/" + tenant + "/jwks.json"}.do(t).decode(t, &set)
	out := map[string]bool{}
	for _, k := range set.Keys {
		out[k.KeyID] = true
	}
	return out
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// TestKeyRotateAndRevoke: rotate now makes the published next key sign
// and keeps the old one published; revoking a key removes it from the JWKS
// at once and its tokens stop being active at introspection.
func TestKeyRotateAndRevoke(t *testing.T) {
	f := newFixture(t)
	ccToken := func() string {
		r := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "client_id": {f.svc}, "client_secret": {f.svcSecret}})
		mustStatus(t, "token", r, http.StatusOK)
		return r.field("access_token")
	}
	active := func(token string) bool {
		r := introspect(t, f, token, f.svc, f.svcSecret)
		mustStatus(t, "introspect", r, http.StatusOK)
		return strings.Contains(string(r.body), `"active":true`)
	}

	before := listKeys(t, f.tenant)
	cur0, _ := keyIn(before, "access", "current")
	next0, _ := keyIn(before, "access", "next")
	old := ccToken()
	if kidOf(t, old) != cur0.KID {
		t.Fatalf("token signed by %s; want the current key %s", kidOf(t, old), cur0.KID)
	}
	jwksKIDs(t, f.tenant) // warm the JWKS cache, so the rotation must refresh it

	r := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/keys/rotate", nil)
	mustStatus(t, "rotate", r, http.StatusOK)
	after := listKeys(t, f.tenant)
	cur1, n := keyIn(after, "access", "current")
	next1, m := keyIn(after, "access", "next")
	retired, _ := keyIn(after, "access", "retired")
	if n != 1 || m != 1 || cur1.KID != next0.KID || retired.KID != cur0.KID || next1.KID == next0.KID {
		t.Fatalf("after rotate: %+v; want the old next key current, the old current retired, a new next", after)
	}
	kids := jwksKIDs(t, f.tenant)
	for _, k := range []string{cur1.KID, next1.KID, cur0.KID} {
		if !kids[k] {
			t.Errorf("JWKS after rotate lacks %s", k)
		}
	}
	fresh := ccToken()
	if kidOf(t, fresh) != cur1.KID {
		t.Errorf("token after rotate signed by %s; want %s", kidOf(t, fresh), cur1.KID)
	}
	if !active(old) || !active(fresh) {
		t.Errorf("after rotate: old token active=%v, new active=%v; want both (the retired key stays published)", active(old), active(fresh))
	}

	// Compromise of the retired key: revoke it.
	mustStatus(t, "revoke", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/keys/"+cur0.KID, nil), http.StatusNoContent)
	if jwksKIDs(t, f.tenant)[cur0.KID] {
		t.Errorf("the revoked key is still in the JWKS")
	}
	if active(old) {
		t.Errorf("a token of the revoked key is still active")
	}
	if !active(fresh) {
		t.Errorf("a token of the current key became inactive")
	}
	mustStatus(t, "revoke unknown", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/keys/nope", nil), http.StatusNotFound)

	// Revoking the signing key: the next key signs at once.
	mustStatus(t, "revoke current", adminDo(t, "DELETE", "/admin/v1/tenants/"+f.tenant+"/keys/"+cur1.KID, nil), http.StatusNoContent)
	if got := kidOf(t, ccToken()); got != next1.KID {
		t.Errorf("after revoking the signing key, tokens are signed by %s; want the next key %s", got, next1.KID)
	}
}

// TestCron: the scheduled job runs (natively, or through the Worker's cron
// trigger) and advances the schedule: a new tenant's ID-token key gets its
// pre-published next key.
func TestCron(t *testing.T) {
	f := newFixture(t)
	if _, n := keyIn(listKeys(t, f.tenant), "id", "next"); n != 0 {
		t.Fatalf("a new tenant already has a next ID-token key")
	}
	jwksKIDs(t, f.tenant) // cached now: the job must refresh it
	if err := target.runCron(); err != nil {
		t.Fatalf("running the scheduled job: %v", err)
	}
	keys := listKeys(t, f.tenant)
	if _, n := keyIn(keys, "id", "next"); n != 1 {
		t.Errorf("after the scheduled job: %+v; want one next ID-token key", keys)
	}
	if _, n := keyIn(keys, "access", "current"); n != 1 {
		t.Errorf("after the scheduled job: %d current access keys; want 1", n)
	}
	if !jwksKIDs(t, f.tenant)[func() string { k, _ := keyIn(keys, "id", "next"); return k.KID }()] {
		t.Errorf("the new next key is not in the JWKS (the cache was not refreshed)")
	}
}

// TestSigningAlgorithms: after a tenant switches its access-token algorithm
// and rotates twice, tokens are signed with the new algorithm (through
// WebCrypto in the Worker), verify against the published JWKS and are
// active at introspection.
func TestSigningAlgorithms(t *testing.T) {
	f := newFixture(t)
	for _, alg := range []string{"EdDSA", "RS256", "ES256"} {
		r := adminDo(t, "PATCH", "/admin/v1/tenants/"+f.tenant, map[string]any{"settings": map[string]any{"signing_alg": alg}})
		mustStatus(t, "set signing_alg "+alg, r, http.StatusOK)
		for range 2 { // the next key was made before the switch
			mustStatus(t, "rotate", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/keys/rotate", nil), http.StatusOK)
		}
		r = tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "client_id": {f.svc}, "client_secret": {f.svcSecret}})
		mustStatus(t, alg+" token", r, http.StatusOK)
		token := r.field("access_token")
		jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			t.Fatalf("%s token: %v", alg, err)
		}
		var set jose.JSONWebKeySet
		request{method: "GET", path: "/t/" + f.tenant + "/jwks.json"}.do(t).decode(t, &set)
		keys := set.Key(jws.Signatures[0].Protected.KeyID)
		if len(keys) != 1 {
			t.Fatalf("%s: the JWKS has %d keys with the token's kid", alg, len(keys))
		}
		if _, err := jws.Verify(keys[0]); err != nil {
			t.Errorf("%s token does not verify with its JWKS key: %v", alg, err)
		}
		ir := introspect(t, f, token, f.svc, f.svcSecret)
		if !strings.Contains(string(ir.body), `"active":true`) {
			t.Errorf("%s token is not active at introspection: %s", alg, ir.body)
		}
	}
}
