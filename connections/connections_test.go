//go:build !js

package connections

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/internal/oidctest"
	"github.com/edgeauth/edgeauth/storage"
)

const redirect = "https://auth.example/t/t/callback/c"

// oidcRound runs AuthURL, the upstream's authorization (the fake's) and
// Finish, with the response's iss as the issuer sends it.
func oidcRound(t *testing.T, b *Broker, f *oidctest.Provider, c storage.Connection) (Profile, error) {
	t.Helper()
	a, err := b.NewAttempt()
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a})
	if err != nil {
		t.Fatalf("AuthURL = %v", err)
	}
	if q := mustQuery(t, u); q.Get("nonce") != a.Nonce || q.Get("state") != a.State || q.Get("redirect_uri") != redirect ||
		q.Get("code_challenge") != s256(a.Verifier) || q.Get("response_type") != "code" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("AuthURL = %s; want state, nonce, S256 challenge, redirect_uri, response_type=code and openid", u)
	}
	return b.Finish(t.Context(), c, redirect, a, Response{Code: f.Approve(u)})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func s256(v string) string { return oauth2.S256ChallengeFromVerifier(v) }

// TestOIDC: a sign-in at an OpenID Provider returns the verified ID
// token's subject, address and name, with the upstream's tokens; the
// code was exchanged with the PKCE verifier and the client secret (the
// fake refuses otherwise).
func TestOIDC(t *testing.T) {
	f := newFakeOIDC(t)
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	p, err := oidcRound(t, b, f, c)
	if err != nil {
		t.Fatalf("Finish = %v; want nil", err)
	}
	if p.Subject != "upstream-sub-1" || p.Email != "alice@corp.example" || !p.EmailVerified || p.Name != "Alice Upstream" ||
		p.Token == nil || p.Token.AccessToken != "upstream-at" {
		t.Errorf("Finish = %+v; want the ID token's profile and the tokens", p)
	}
}

// TestOIDCPublicClient: a connection without a client secret is a public
// client at the upstream: its token request carries client_id in the
// body and no Authorization header (the fake refuses otherwise).
func TestOIDCPublicClient(t *testing.T) {
	f := oidctest.NewProvider(t, fakeClientID, "")
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	c.ClientSecretSealed = nil
	if err := st.UpdateConnection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if c, err := st.GetConnection(t.Context(), c.TenantID, c.ID); err != nil || c.ClientSecretSealed != nil {
		t.Fatalf("GetConnection = %+v, %v; want the connection without a secret", c, err)
	}
	if p, err := oidcRound(t, b, f, c); err != nil || p.Subject == "" {
		t.Fatalf("Finish = %+v, %v; want the profile", p, err)
	}
}

// TestIDTokenChecks: every ID token OIDC Core §3.1.3.7 says to refuse is
// refused with ErrIDToken, and no profile comes back.
func TestIDTokenChecks(t *testing.T) {
	f := newFakeOIDC(t)
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	hour := time.Hour
	tests := []struct {
		name  string
		spoil func(map[string]any)
		sign  func(map[string]any) string
		token func(nonce string) any // the id_token member, when not a signed token
	}{
		{name: "nonce mismatch", spoil: func(m map[string]any) { m["nonce"] = "not-the-nonce" }},
		{name: "no nonce", spoil: func(m map[string]any) { delete(m, "nonce") }},
		{name: "wrong audience", spoil: func(m map[string]any) { m["aud"] = "another-client" }},
		{name: "audiences without azp", spoil: func(m map[string]any) { m["aud"] = []string{fakeClientID, "other"} }},
		{name: "azp of another client", spoil: func(m map[string]any) { m["azp"] = "other" }},
		{name: "wrong issuer", spoil: func(m map[string]any) { m["iss"] = "https://evil.example" }},
		{name: "expired", spoil: func(m map[string]any) { m["exp"] = time.Now().Add(-2 * time.Minute).Unix() }},
		{name: "no exp", spoil: func(m map[string]any) { delete(m, "exp") }},
		{name: "iat in the future", spoil: func(m map[string]any) { m["iat"] = time.Now().Add(hour).Unix() }},
		{name: "no iat", spoil: func(m map[string]any) { delete(m, "iat") }},
		{name: "not yet valid", spoil: func(m map[string]any) { m["nbf"] = time.Now().Add(hour).Unix() }},
		{name: "unsigned (alg none)", sign: func(m map[string]any) string { return unsigned(t, m) }},
		{name: "HMAC with the client secret", sign: func(m map[string]any) string {
			return oidctest.SignJWT(t, jose.HS256, []byte(fakeSecret+fakeSecret), f.KID, m)
		}},
		{name: "signed by an unpublished key", sign: func(m map[string]any) string { return oidctest.SignJWT(t, jose.ES256, otherKey(t), f.KID, m) }},
		{name: "an unknown kid", sign: func(m map[string]any) string { return oidctest.SignJWT(t, jose.RS256, f.Key, "k9", m) }},
		{name: "a tampered payload", sign: func(m map[string]any) string {
			good := oidctest.SignJWT(t, jose.RS256, f.Key, f.KID, m)
			m["sub"] = "someone-else"
			bad := oidctest.SignJWT(t, jose.RS256, f.Key, f.KID, m)
			parts, badParts := strings.Split(good, "."), strings.Split(bad, ".")
			return parts[0] + "." + badParts[1] + "." + parts[2]
		}},
		{name: "no id_token", token: func(string) any { return nil }},
		{name: "an id_token that is not a JWT", token: func(string) any { return "garbage" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Update(func(f *oidctest.Provider) {
				f.Spoil, f.Sign, f.Token = tt.spoil, tt.sign, nil
				if tt.token != nil {
					f.Token = func(w http.ResponseWriter, r *http.Request) {
						r.ParseForm()
						body := map[string]any{"access_token": "at", "token_type": "Bearer"}
						if v := tt.token(""); v != nil {
							body["id_token"] = v
						}
						oidctest.WriteJSON(w, http.StatusOK, body)
					}
				}
			})
			p, err := oidcRound(t, b, f, c)
			if !errors.Is(err, ErrIDToken) {
				t.Errorf("Finish with %s = %+v, %v; want ErrIDToken", tt.name, p, err)
			}
		})
	}
}

// unsigned is claims as a JWT with alg "none".
func unsigned(t *testing.T, claims map[string]any) string {
	good := oidctest.SignJWT(t, jose.ES256, otherKey(t), "k1", claims)
	parts := strings.Split(good, ".")
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
}

// TestIssParameter: RFC 9207: a response whose iss is another issuer's,
// or without iss from an issuer that sends it, is refused before the
// code is spent.
func TestIssParameter(t *testing.T) {
	f := newFakeOIDC(t)
	f.Discovery = func(d map[string]any) { d["authorization_response_iss_parameter_supported"] = true }
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	for _, iss := range []string{"", "https://evil.example"} {
		a, _ := b.NewAttempt()
		u, err := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Finish(t.Context(), c, redirect, a, Response{Code: f.Approve(u), Issuer: iss})
		if !errors.Is(err, ErrIDToken) {
			t.Errorf("Finish with iss %q = %v; want ErrIDToken", iss, err)
		}
	}
	if n := f.TokenRequests(); n != 0 {
		t.Errorf("the token endpoint was called %d times; want 0", n)
	}
	a, _ := b.NewAttempt()
	u, _ := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a})
	if _, err := b.Finish(t.Context(), c, redirect, a, Response{Code: f.Approve(u), Issuer: f.Issuer}); err != nil {
		t.Errorf("Finish with the right iss = %v; want nil", err)
	}
}

// TestUpstreamFailures: an upstream that refuses, fails, answers garbage,
// redirects or does not answer in time gives the error that says which,
// within the timeout.
func TestUpstreamFailures(t *testing.T) {
	f := newFakeOIDC(t)
	b, st, _ := newTestBroker(t, 500*time.Millisecond)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	tests := []struct {
		name  string
		token http.HandlerFunc
		want  error
		slow  bool
	}{
		{"invalid_grant", func(w http.ResponseWriter, r *http.Request) {
			oidctest.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		}, ErrRefused, false},
		{"a 500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500); w.Write([]byte("oops")) }, ErrUnavailable, false},
		{"a 503 with an OAuth error", func(w http.ResponseWriter, r *http.Request) {
			oidctest.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		}, ErrUnavailable, false},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("<html>not json"))
		}, ErrUnavailable, false},
		{"no access token", func(w http.ResponseWriter, r *http.Request) {
			oidctest.WriteJSON(w, http.StatusOK, map[string]string{"token_type": "Bearer"})
		}, ErrUnavailable, false},
		{"a redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/token", http.StatusTemporaryRedirect)
		}, ErrUnavailable, false},
		{"a timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, ErrUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Update(func(f *oidctest.Provider) { f.Token = tt.token })
			start := time.Now()
			_, err := oidcRound(t, b, f, c)
			if !errors.Is(err, tt.want) {
				t.Errorf("Finish = %v; want %v", err, tt.want)
			}
			if tt.slow && (!errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second) {
				t.Errorf("Finish against a slow upstream = %v after %v; want context.DeadlineExceeded within the timeout", err, time.Since(start))
			}
		})
	}
}

// TestDiscoveryChecks: a discovery document for another issuer, one
// without a token endpoint, or naming endpoints that break the URL rule
// is not used; an issuer that is down is ErrUnavailable at AuthURL.
func TestDiscoveryChecks(t *testing.T) {
	tests := []struct {
		name string
		edit func(d map[string]any)
	}{
		{"another issuer", func(d map[string]any) { d["issuer"] = "https://evil.example" }},
		{"no token endpoint", func(d map[string]any) { delete(d, "token_endpoint") }},
		{"a private token endpoint", func(d map[string]any) { d["token_endpoint"] = "https://10.0.0.1/token" }},
		{"an http authorization endpoint elsewhere", func(d map[string]any) { d["authorization_endpoint"] = "http://auth.example/authorize" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOIDC(t)
			f.Discovery = tt.edit
			b, st, _ := newTestBroker(t, 0)
			c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
			a, _ := b.NewAttempt()
			if _, err := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a}); !errors.Is(err, ErrUnavailable) {
				t.Errorf("AuthURL = %v; want ErrUnavailable", err)
			}
		})
	}
	t.Run("down", func(t *testing.T) {
		f := newFakeOIDC(t)
		b, st, _ := newTestBroker(t, 0)
		c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
		f.Close()
		a, _ := b.NewAttempt()
		if _, err := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a}); !errors.Is(err, ErrUnavailable) {
			t.Errorf("AuthURL with the issuer down = %v; want ErrUnavailable", err)
		}
	})
}

// TestUserinfo: an ID token without an address is completed from
// userinfo, whose sub must be the ID token's (OIDC Core §5.3.2).
func TestUserinfo(t *testing.T) {
	f := newFakeOIDC(t)
	f.Spoil = func(m map[string]any) {
		delete(m, "email")
		delete(m, "email_verified")
	}
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindOIDC, f.Issuer, true)
	f.Userinfo = map[string]any{"sub": "upstream-sub-1", "email": "alice@userinfo.example", "email_verified": "true"}
	p, err := oidcRound(t, b, f, c)
	if err != nil || p.Email != "alice@userinfo.example" || !p.EmailVerified {
		t.Errorf("Finish = %+v, %v; want userinfo's verified address", p, err)
	}
	f.Userinfo = map[string]any{"sub": "someone-else", "email": "mallory@example.com", "email_verified": true}
	if p, err := oidcRound(t, b, f, c); !errors.Is(err, ErrIDToken) {
		t.Errorf("Finish with userinfo of another subject = %+v, %v; want ErrIDToken", p, err)
	}
}

// TestGitHub: the subject is GitHub's numeric id, the address the primary
// one with GitHub's verification; without the e-mail scope there is no
// address; a GitHub error answered with 200 is ErrRefused.
func TestGitHub(t *testing.T) {
	g := newFakeGitHub(t)
	b, st, _ := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGitHub, g.URL, true)
	a, _ := b.NewAttempt()
	u, err := b.AuthURL(t.Context(), c, Start{RedirectURI: redirect, Attempt: a})
	if q := mustQuery(t, u); err != nil || !strings.HasPrefix(u, g.URL+"/login/oauth/authorize?") || q.Get("code_challenge") == "" || q.Has("nonce") {
		t.Fatalf("AuthURL = %s, %v; want GitHub's authorize URL with PKCE and no nonce", u, err)
	}
	p, err := b.Finish(t.Context(), c, redirect, a, Response{Code: g.Approve(u)})
	if err != nil || p.Subject != "4242" || p.Email != "octo@example.com" || !p.EmailVerified || p.Name != "Octo Cat" {
		t.Errorf("Finish = %+v, %v; want subject 4242, octo@example.com verified", p, err)
	}
	if _, err := b.Finish(t.Context(), c, redirect, a, Response{Code: "wrong"}); !errors.Is(err, ErrRefused) {
		t.Errorf("Finish with a bad code = %v; want ErrRefused", err)
	}
	g.EmailsHandler = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }
	if p, err := b.Finish(t.Context(), c, redirect, a, Response{Code: g.Approve(u)}); err != nil || p.Email != "" {
		t.Errorf("Finish without the e-mail scope = %+v, %v; want no address", p, err)
	}
	g.EmailsHandler = func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not json")) }
	if _, err := b.Finish(t.Context(), c, redirect, a, Response{Code: g.Approve(u)}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Finish with garbage e-mails = %v; want ErrUnavailable", err)
	}
	g.User = map[string]any{"login": "no-id"}
	if _, err := b.Finish(t.Context(), c, redirect, a, Response{Code: g.Approve(u)}); !errors.Is(err, ErrProfile) {
		t.Errorf("Finish with a user without id = %v; want ErrProfile", err)
	}
}

// TestCheck: what an admin may configure.
func TestCheck(t *testing.T) {
	b, _, _ := newTestBroker(t, 0)
	strict, err := New(Config{Store: b.cfg.Store, SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	ok := storage.Connection{ID: "corp", Kind: storage.KindOIDC, Issuer: "https://idp.example.com/realms/x", ClientID: "c"}
	with := func(f func(c *storage.Connection)) storage.Connection { c := ok; f(&c); return c }
	tests := []struct {
		name    string
		c       storage.Connection
		b       *Broker
		wantErr bool
	}{
		{"an oidc connection", ok, strict, false},
		{"google", with(func(c *storage.Connection) { c.Kind, c.Issuer = storage.KindGoogle, "" }), strict, false},
		{"github.com", with(func(c *storage.Connection) { c.Kind, c.Issuer = storage.KindGitHub, "" }), strict, false},
		{"GitHub Enterprise", with(func(c *storage.Connection) { c.Kind, c.Issuer = storage.KindGitHub, "https://ghe.example.com" }), strict, false},
		{"a bad id", with(func(c *storage.Connection) { c.ID = "Corp" }), strict, true},
		{"an unknown kind", with(func(c *storage.Connection) { c.Kind = "saml" }), strict, true},
		{"no client id", with(func(c *storage.Connection) { c.ClientID = "" }), strict, true},
		{"a client id with a space", with(func(c *storage.Connection) { c.ClientID = "a b" }), strict, true},
		{"oidc without issuer", with(func(c *storage.Connection) { c.Issuer = "" }), strict, true},
		{"google with an issuer", with(func(c *storage.Connection) { c.Kind = storage.KindGoogle }), strict, true},
		{"an http issuer", with(func(c *storage.Connection) { c.Issuer = "http://idp.example.com" }), strict, true},
		{"a private issuer", with(func(c *storage.Connection) { c.Issuer = "https://10.1.2.3" }), strict, true},
		{"a numeric loopback issuer", with(func(c *storage.Connection) { c.Issuer = "https://2130706433" }), strict, true},
		{"a localhost issuer", with(func(c *storage.Connection) { c.Issuer = "https://localhost:8443" }), strict, true},
		{"a loopback issuer allowed in development", with(func(c *storage.Connection) { c.Issuer = "http://127.0.0.1:8787/t/up" }), b, false},
		{"a loopback issuer without the setting", with(func(c *storage.Connection) { c.Issuer = "http://127.0.0.1:8787/t/up" }), strict, true},
		{"an issuer with a query", with(func(c *storage.Connection) { c.Issuer = "https://idp.example.com?x=1" }), strict, true},
		{"an issuer with user information", with(func(c *storage.Connection) { c.Issuer = "https://u:p@idp.example.com" }), strict, true},
		{"a bad scope", with(func(c *storage.Connection) { c.Scopes = []string{"a\"b"} }), strict, true},
		{"a name with a direction override", with(func(c *storage.Connection) { c.Name = "Corp\u202eelgoog" }), strict, true},
	}
	for _, tt := range tests {
		if err := tt.b.Check(tt.c); (err != nil) != tt.wantErr {
			t.Errorf("Check(%s) = %v; want error %v", tt.name, err, tt.wantErr)
		}
	}
}

// TestURLRuleAtEveryRequest: the rule holds for every request, not only
// for what Check saw: a discovery document naming a private token
// endpoint never gets a request there.
func TestURLRuleAtEveryRequest(t *testing.T) {
	var hits int
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) { hits++; return nil, errors.New("sent") })
	b, err := New(Config{Store: nilStore{}, Transport: tr, SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://api.example.com/x", "https://192.168.1.1/x", "https://[::1]/x", "https://metadata.google.internal/x", "https://0x7f000001/x"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := b.client.Do(req); !errors.Is(err, ErrForbiddenURL) {
			t.Errorf("GET %s = %v; want ErrForbiddenURL", u, err)
		}
	}
	if hits != 0 {
		t.Errorf("the transport was asked %d times; want never", hits)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type nilStore struct{ Store }

// TestSealedSecrets: a client secret opens only for the connection it was
// sealed for, and never as tokens.
func TestSealedSecrets(t *testing.T) {
	b, _, _ := newTestBroker(t, 0)
	sealed := b.SealClientSecret("t", "corp", "the-secret")
	if got, err := b.clientSecret(storage.Connection{TenantID: "t", ID: "corp", ClientSecretSealed: sealed}); err != nil || got != "the-secret" {
		t.Errorf("clientSecret = %q, %v; want the secret", got, err)
	}
	for _, c := range []storage.Connection{{TenantID: "t", ID: "other"}, {TenantID: "u", ID: "corp"}} {
		c.ClientSecretSealed = sealed
		if _, err := b.clientSecret(c); err == nil {
			t.Errorf("clientSecret of %s/%s opened another connection's secret", c.TenantID, c.ID)
		}
	}
	if _, err := b.box.open(ad(labelTokens, "t", "corp"), sealed); err == nil {
		t.Errorf("a client secret opened as tokens")
	}
	other, _ := New(Config{Store: nilStore{}, SecretKey: []byte(strings.Repeat("k", 32))})
	if _, err := other.clientSecret(storage.Connection{TenantID: "t", ID: "corp", ClientSecretSealed: sealed}); err == nil {
		t.Errorf("a client secret opened under another key")
	}
}
