package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"
)

func registerReq(t *testing.T, tenant string, body any, token string) response {
	t.Helper()
	q := request{method: "POST", path: "/t/" + tenant + "/register", body: body, header: map[string]string{"Content-Type": "application/json"}}
	if token != "" {
		q.header["Authorization"] = "Bearer " + token
	}
	return q.do(t)
}

func setSettings(t *testing.T, tenant string, settings map[string]any) {
	t.Helper()
	mustStatus(t, "patch settings", adminDo(t, "PATCH", "/admin/v1/tenants/"+tenant, map[string]any{"settings": settings}), http.StatusOK)
}

func metadataOf(t *testing.T, tenant string) map[string]any {
	t.Helper()
	var md map[string]any
	request{method: "GET", path: "/.well-known/oauth-authorization-server/t/" + tenant}.do(t).decode(t, &md)
	return md
}

// TestRegistration: RFC 7591 by tenant policy.
func TestRegistration(t *testing.T) {
	f := newFixture(t)
	public := map[string]any{
		"client_name": "MCP client", "redirect_uris": []string{"http://127.0.0.1/callback"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
		"software_id": "ignored-unknown-field", "first_party": true, "client_id": "chosen",
		"introspection_audiences": []string{"https://api.example.com"},
	}

	// off (the default): refused, and not advertised.
	mustOAuthError(t, "registration off", registerReq(t, f.tenant, public, ""), 403, "access_denied")
	if _, ok := metadataOf(t, f.tenant)["registration_endpoint"]; ok {
		t.Errorf("registration_endpoint advertised while registration is off")
	}

	// open: public clients only; unknown metadata ignored; no privileges.
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	if md := metadataOf(t, f.tenant); md["registration_endpoint"] != f.issuer+"/register" {
		t.Errorf("registration_endpoint = %v; want %s/register", md["registration_endpoint"], f.issuer)
	}
	r := registerReq(t, f.tenant, public, "")
	mustStatus(t, "open registration", r, http.StatusCreated)
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		FirstParty   bool   `json:"first_party"`
		IssuedAt     int64  `json:"client_id_issued_at"`
	}
	r.decode(t, &reg)
	if reg.ClientID == "" || reg.ClientID == "chosen" || reg.ClientSecret != "" || reg.FirstParty || reg.IssuedAt == 0 ||
		strings.Contains(string(r.body), "introspection_audiences") {
		t.Errorf("open registration = %s; want a server-chosen id, no secret, not first party, no introspection audiences", r.body)
	}
	// Open registration makes public clients: a request for a secret (or
	// for nothing, whose default is client_secret_basic) is registered as
	// "none", and the response says so (RFC 7591 §3.2.1).
	conf := map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}}
	for _, asked := range []map[string]any{conf, {"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "client_secret_post"}} {
		r := registerReq(t, f.tenant, asked, "")
		mustStatus(t, "open registration asking for a secret", r, http.StatusCreated)
		if r.field("token_endpoint_auth_method") != "none" || r.field("client_secret") != "" {
			t.Errorf("open registration asking %v = %s; want a public client, no secret", asked["token_endpoint_auth_method"], r.body)
		}
	}
	for name, body := range map[string]any{
		"fragment":           map[string]any{"redirect_uris": []string{"https://a.example/cb#x"}, "token_endpoint_auth_method": "none"},
		"http non-loopback":  map[string]any{"redirect_uris": []string{"http://a.example/cb"}, "token_endpoint_auth_method": "none"},
		"javascript":         map[string]any{"redirect_uris": []string{"javascript:alert(1)"}, "token_endpoint_auth_method": "none"},
		"https without host": map[string]any{"redirect_uris": []string{"https://:443/cb"}, "token_endpoint_auth_method": "none"},
	} {
		mustOAuthError(t, name, registerReq(t, f.tenant, body, ""), 400, "invalid_redirect_uri")
	}
	mustOAuthError(t, "implicit", registerReq(t, f.tenant, map[string]any{"grant_types": []string{"implicit"}, "token_endpoint_auth_method": "none"}, ""), 400, "invalid_client_metadata")
	mustOAuthError(t, "malformed", registerReq(t, f.tenant, `{"redirect_uris":`, ""), 400, "invalid_client_metadata")
	mustOAuthError(t, "wrong type", registerReq(t, f.tenant, `{"redirect_uris":"https://a.example/cb"}`, ""), 400, "invalid_client_metadata")
	// The name is shown on the consent page: nothing that reorders it.
	mustOAuthError(t, "right-to-left override in client_name", registerReq(t, f.tenant, map[string]any{"client_name": "Evil\u202Eelgoog",
		"redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none"}, ""), 400, "invalid_client_metadata")

	// The registered client signs in like any other (it needs consent).
	cfg := &oauth2.Config{ClientID: reg.ClientID, RedirectURL: "http://127.0.0.1:6000/callback",
		Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	b := newBrowser(t, f.username, f.password)
	b.decision = "approve"
	v := oauth2.GenerateVerifier()
	code, _ := callback(t, b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), "s", f.issuer)
	if _, err := cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(v)); err != nil {
		t.Errorf("a registered client's exchange: %v", err)
	}

	// token: an initial access token is required; confidential clients allowed.
	setSettings(t, f.tenant, map[string]any{"registration": "token"})
	mustOAuthError(t, "token policy, no token", registerReq(t, f.tenant, conf, ""), 401, "invalid_token")
	tr := adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/registration-token", nil)
	mustStatus(t, "registration token", tr, http.StatusCreated)
	iat := tr.field("initial_access_token")
	mustOAuthError(t, "wrong token", registerReq(t, f.tenant, conf, "x"+iat), 401, "invalid_token")
	r = registerReq(t, f.tenant, conf, iat)
	mustStatus(t, "token registration", r, http.StatusCreated)
	if r.field("client_secret") == "" {
		t.Errorf("confidential registration without a secret: %s", r.body)
	}
	if got := adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant, nil); strings.Contains(string(got.body), "registration_token") {
		t.Errorf("the admin API shows the registration token's hash: %s", got.body)
	}
}

// TestDynamicClientIsNoOpenRedirector: RFC 9700 §4.11.2, "The
// authorization server MUST always authenticate the user first ... before
// redirecting the user", and SHOULD redirect automatically only to a URI
// it trusts: anyone may register a client under the open policy, so its
// redirect URI is nobody's vetted choice. A bad request is the error page,
// and so is prompt=none's login_required, for a browser that has not
// signed in and for a signed-in user who has never approved the client;
// once they have, errors go back to the client as usual.
func TestDynamicClientIsNoOpenRedirector(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open"})
	const landing = "https://phish.example/landing"
	r := registerReq(t, f.tenant, map[string]any{"client_name": "x", "redirect_uris": []string{landing}, "token_endpoint_auth_method": "none"}, "")
	mustStatus(t, "register", r, http.StatusCreated)
	id := r.field("client_id")
	if got := adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/clients/"+id, nil); !strings.Contains(string(got.body), `"dynamically_registered":true`) {
		t.Errorf("the admin API does not show the client as dynamically registered: %s", got.body)
	}
	bad := func(extra url.Values) string {
		q := url.Values{"client_id": {id}, "redirect_uri": {landing}, "response_type": {"token"}}
		for k, v := range extra {
			q[k] = v
		}
		return first(f.authURL(q))
	}
	p := newBrowser(t, "", "").do("GET", bad(nil), nil)
	if p.status != http.StatusBadRequest || p.header.Get("Location") != "" || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("no session: %d Location %q; want the 400 error page, no redirect", p.status, p.header.Get("Location"))
	}
	// Nor silent authentication's login_required (RFC 9700 §4.11.2, attack
	// 3: the SHOULD holds for a URI nobody vetted).
	q := url.Values{"response_type": {"code"}, "prompt": {"none"}}
	if p := newBrowser(t, "", "").do("GET", bad(q), nil); p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
		t.Errorf("prompt=none without a session: %d Location %q; want the 400 error page, no redirect", p.status, p.header.Get("Location"))
	}
	// Signed in, the client never approved: still the error page (the
	// victim of a phishing link is signed in).
	b := newBrowser(t, f.username, f.password)
	callback(t, b.authorize(first(f.authURL(nil))), "st", f.issuer)
	for name, q := range map[string]url.Values{"response_type=token": nil, "no PKCE": {"response_type": {"code"}, "code_challenge": {""}}, "prompt=none": q} {
		if p := b.do("GET", bad(q), nil); p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
			t.Errorf("signed in, never approved, %s: %d Location %q; want the 400 error page, no redirect", name, p.status, p.header.Get("Location"))
		}
	}
	// Once the user has approved the client, the error goes back to it.
	b.decision = "approve"
	approved := url.Values{"client_id": {id}, "redirect_uri": {landing}}
	if u := b.authorize(first(f.authURL(approved))); u == nil || u.Query().Get("code") == "" {
		t.Fatalf("approving the client: %v", u)
	}
	if p := b.do("GET", bad(nil), nil); !strings.HasPrefix(p.header.Get("Location"), landing+"?") {
		t.Errorf("signed in, approved: %d Location %q; want the error at the client", p.status, p.header.Get("Location"))
	}
	// An admin-registered client's errors are redirected as before.
	if p := newBrowser(t, "", "").do("GET", first(f.authURL(url.Values{"response_type": {"token"}})), nil); p.status != http.StatusSeeOther {
		t.Errorf("admin-registered client, no session: %d; want the error redirected", p.status)
	}
}

// TestClientIDMetadataDocument: an https (here: loopback http, the
// server runs in development mode) client_id whose document is fetched.
func TestClientIDMetadataDocument(t *testing.T) {
	if target.name != "native" {
		t.Skipf("the document is served by the test process on loopback; the %s target cannot fetch it", target.name)
	}
	f := newFixture(t)
	var fetches atomic.Int32
	var doc map[string]any
	docSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		switch r.URL.Path {
		case "/redirect/client.json":
			http.Redirect(w, r, "/client.json", http.StatusFound)
			return
		case "/html/client.json":
			w.Header().Set("Content-Type", "text/html")
		default:
			w.Header().Set("Content-Type", "application/json")
		}
		json.NewEncoder(w).Encode(doc)
	}))
	defer docSrv.Close()
	clientID := docSrv.URL + "/client.json"
	doc = map[string]any{"client_id": clientID, "client_name": "Doc Client", "redirect_uris": []string{"http://127.0.0.1/callback"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none"}
	valid := doc

	authorize := func(id string) (string, *browser) {
		cfg := &oauth2.Config{ClientID: id, RedirectURL: "http://127.0.0.1:6001/callback",
			Endpoint: oauth2.Endpoint{AuthURL: f.issuer + "/authorize", TokenURL: f.issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
		b := newBrowser(t, f.username, f.password)
		b.decision = "approve"
		v := oauth2.GenerateVerifier()
		u := b.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
		if u == nil {
			return "", b
		}
		code, _ := callback(t, u, "s", f.issuer)
		if _, err := cfg.Exchange(oauthCtx(), code, oauth2.VerifierOption(v)); err != nil {
			t.Errorf("Exchange for %s: %v", id, err)
		}
		return code, b
	}

	// Off by default: an unknown client.
	if code, b := authorize(clientID); code != "" || b.last.status != http.StatusBadRequest {
		t.Fatalf("CIMD while disabled: code %q status %d; want the 400 error page", code, b.last.status)
	}
	setSettings(t, f.tenant, map[string]any{"client_id_metadata_documents": true})
	if md := metadataOf(t, f.tenant); md["client_id_metadata_document_supported"] != true {
		t.Errorf("client_id_metadata_document_supported = %v; want true", md["client_id_metadata_document_supported"])
	}
	if code, b := authorize(clientID); code == "" {
		t.Fatalf("CIMD flow: no code; last page %d %.300s", b.last.status, b.last.body)
	} else if !strings.Contains(strings.Join(b.seen, ","), "consent") {
		t.Errorf("a metadata-document client skipped consent: %v", b.seen)
	}
	n := fetches.Load()
	authorize(clientID)
	if fetches.Load() != n {
		t.Errorf("the document was fetched again within the cache time")
	}
	// Nobody vetted its redirect URIs either (RFC 9700 §4.11.2): a bad
	// request from a browser that has not signed in is the error page.
	if p := newBrowser(t, "", "").do("GET", f.issuer+"/authorize?"+url.Values{"client_id": {clientID},
		"redirect_uri": {"http://127.0.0.1:6001/callback"}, "response_type": {"token"}}.Encode(), nil); p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
		t.Errorf("metadata-document client, bad request without a session: %d Location %q; want the 400 page", p.status, p.header.Get("Location"))
	}

	bad := []struct {
		name string
		id   string
		doc  map[string]any
	}{
		{"client_id mismatch", docSrv.URL + "/other.json", doc},
		{"redirect", docSrv.URL + "/redirect/client.json", nil},
		{"not json", docSrv.URL + "/html/client.json", nil},
		{"secret auth", docSrv.URL + "/secret.json", map[string]any{"client_id": docSrv.URL + "/secret.json", "client_name": "S", "redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "client_secret_basic"}},
		// CIMD §4.1: client_secret MUST NOT be used; MCP wants client_name.
		{"a secret in the document", docSrv.URL + "/has-secret.json", map[string]any{"client_id": docSrv.URL + "/has-secret.json", "client_name": "S", "redirect_uris": []string{"http://127.0.0.1/callback"}, "client_secret": "s3cret"}},
		{"no client_name", docSrv.URL + "/no-name.json", map[string]any{"client_id": docSrv.URL + "/no-name.json", "redirect_uris": []string{"http://127.0.0.1/callback"}}},
		{"no path", docSrv.URL, nil},
		{"dot segments", docSrv.URL + "/a/../client.json", nil},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc != nil {
				doc = tc.doc
			}
			if code, b := authorize(tc.id); code != "" || b.last.status != http.StatusBadRequest {
				t.Errorf("code %q status %d; want the 400 error page", code, b.last.status)
			}
		})
	}
	// A private address: the native client dials only public addresses
	// (and loopback in development), so nothing is contacted.
	n = fetches.Load()
	if code, _ := authorize("https://10.0.0.1/client.json"); code != "" || fetches.Load() != n {
		t.Errorf("a private-address client_id: code %q, fetches %d -> %d; want refused", code, n, fetches.Load())
	}
	// Off again: the client stored while it was on is unknown too, at
	// once in the isolate that changed the setting.
	doc = valid
	setSettings(t, f.tenant, map[string]any{"client_id_metadata_documents": false})
	if code, b := authorize(clientID); code != "" || b.last.status != http.StatusBadRequest {
		t.Errorf("CIMD turned off: code %q status %d; want the 400 error page", code, b.last.status)
	}
}

// TestSelfRegisteredScope: the tenant's self_registered_scope is the scope
// of a client that registers itself without one (RFC 7591 §2: a default
// set; an MCP client registers without a scope and later asks for the
// resource's), and the most such a client may state.
func TestSelfRegisteredScope(t *testing.T) {
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"registration": "open", "self_registered_scope": "read write"})
	body := func(scope string) map[string]any {
		m := map[string]any{"client_name": "MCP client", "redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none"}
		if scope != "" {
			m["scope"] = scope
		}
		return m
	}
	r := registerReq(t, f.tenant, body(""), "")
	mustStatus(t, "register without a scope", r, http.StatusCreated)
	if r.field("scope") != "read write" {
		t.Errorf("registered scope %q; want the tenant's self_registered_scope", r.field("scope"))
	}
	mustOAuthError(t, "a scope beyond self_registered_scope", registerReq(t, f.tenant, body("read admin"), ""), 400, "invalid_client_metadata")
	// The client asks for a scope of the resource: the login page, not
	// invalid_scope.
	u, _ := f.authURL(url.Values{"client_id": {r.field("client_id")}, "scope": {"read"}})
	if p := newBrowser(t, "", "").do("GET", u, nil); !strings.Contains(p.header.Get("Location"), "/login?req=") {
		t.Errorf("scope=read for the registered client: %d Location %q; want the login page", p.status, p.header.Get("Location"))
	}
	if got := adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant, nil); !strings.Contains(string(got.body), `"self_registered_scope":"read write"`) {
		t.Errorf("the admin API does not show self_registered_scope: %s", got.body)
	}
}
