package verify_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/edgeauth/edgeauth/verify"
)

// sentinels are every error Verify can return, to check that a failure
// matches exactly the one it should.
var sentinels = []error{
	verify.ErrMalformed, verify.ErrAlgorithm, verify.ErrType, verify.ErrUnknownKey,
	verify.ErrSignature, verify.ErrIssuer, verify.ErrAudience, verify.ErrExpired,
	verify.ErrNotYetValid, verify.ErrIssuedAt, verify.ErrTenant, verify.ErrUnavailable,
}

// checkErr fails unless err is want (nil for success) and no other sentinel.
func checkErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s = %v; want success", call, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v; want %v", call, err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("%s = %v; is also %v", call, err, s)
		}
	}
	if !strings.HasPrefix(err.Error(), "verify: ") {
		t.Errorf("%s error %q lacks the verify: prefix", call, err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyChecks(t *testing.T) {
	es, ed, rs := sharedKeys(t)
	ks := newKeyServer(t, es, ed, rs)
	clk := newClock()
	now := clk.Now()
	good := claims(ks, now)

	// An RSA key signing under the ES256 key's kid, for alg/key mismatch.
	imposter := newKey(t, jose.RS256)
	pubDER, err := x509.MarshalPKIXPublicKey(es.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	hmacWithPublicKey := func(t *testing.T) string {
		// The classic confusion attack: HS256 keyed with the public key.
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pubDER},
			(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", es.kid))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := json.Marshal(good)
		obj, err := sig.Sign(p)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := obj.CompactSerialize()
		return s
	}
	payload, _ := json.Marshal(good)
	noneToken := b64(`{"alg":"none","typ":"at+jwt","kid":"`+es.kid+`"}`) + "." + b64(string(payload)) + "."
	jsonSerialized := func(t *testing.T) string {
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: es.priv},
			(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", es.kid))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := sig.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		return obj.FullSerialize()
	}
	flipSig := func(t *testing.T) string {
		s := tok{key: es, claims: good}.mint(t)
		i := strings.LastIndexByte(s, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(s[i+1:])
		sig[len(sig)/2] ^= 1
		return s[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	}
	fixed := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	minted := func(s tok) func(*testing.T) string { return func(t *testing.T) string { return s.mint(t) } }

	leeway := verify.DefaultLeeway
	tests := []struct {
		name  string
		token func(*testing.T) string
		opts  verify.Options
		want  error
	}{
		{"ES256", minted(tok{key: es, claims: good}), verify.Options{}, nil},
		{"EdDSA", minted(tok{key: ed, claims: good}), verify.Options{}, nil},
		{"RS256", minted(tok{key: rs, claims: good}), verify.Options{}, nil},
		{"typ application/at+jwt", minted(tok{key: es, typ: "application/at+jwt", claims: good}), verify.Options{}, nil},
		{"typ AT+JWT", minted(tok{key: es, typ: "AT+JWT", claims: good}), verify.Options{}, nil},
		{"aud array", minted(tok{key: es, claims: with(good, "aud", []string{"https://other", testAudience})}), verify.Options{}, nil},
		{"fractional exp", minted(tok{key: es, claims: with(good, "exp", float64(now.Unix())+0.5)}), verify.Options{Leeway: -1}, nil},
		{"exp within leeway", minted(tok{key: es, claims: with(good, "exp", now.Add(-leeway+time.Second).Unix())}), verify.Options{}, nil},
		{"exp 59s ago: the default leeway is a minute", minted(tok{key: es, claims: with(good, "exp", now.Add(-59*time.Second).Unix())}), verify.Options{}, nil},
		{"nbf within leeway", minted(tok{key: es, claims: with(good, "nbf", now.Add(leeway).Unix())}), verify.Options{}, nil},
		{"iat within leeway", minted(tok{key: es, claims: with(good, "iat", now.Add(leeway).Unix())}), verify.Options{}, nil},
		{"tenant matches", minted(tok{key: es, claims: good}), verify.Options{Tenant: testTenant}, nil},

		{"empty", fixed(""), verify.Options{}, verify.ErrMalformed},
		{"one part", fixed("abc"), verify.Options{}, verify.ErrMalformed},
		{"two parts", fixed("abc.def"), verify.Options{}, verify.ErrMalformed},
		{"four parts", func(t *testing.T) string { return tok{key: es, claims: good}.mint(t) + ".x" }, verify.Options{}, verify.ErrMalformed},
		{"JSON serialization", jsonSerialized, verify.Options{}, verify.ErrMalformed},
		{"header not base64", fixed("!!!." + b64(string(payload)) + ".AAAA"), verify.Options{}, verify.ErrMalformed},
		{"header not JSON", fixed(b64("nope") + "." + b64(string(payload)) + ".AAAA"), verify.Options{}, verify.ErrMalformed},
		{"too long", fixed(strings.Repeat("a", verify.MaxTokenSize+1)), verify.Options{}, verify.ErrMalformed},
		{"crit header", minted(tok{key: es, claims: good, extra: map[jose.HeaderKey]any{"crit": []string{"exp"}, "exp": 1}}), verify.Options{}, verify.ErrMalformed},
		{"payload an array", minted(tok{key: es, claims: []byte(`["x"]`)}), verify.Options{}, verify.ErrMalformed},
		{"exp a string", minted(tok{key: es, claims: with(good, "exp", "tomorrow")}), verify.Options{}, verify.ErrMalformed},
		{"aud a number", minted(tok{key: es, claims: with(good, "aud", 7)}), verify.Options{}, verify.ErrMalformed},
		// RFC 9068 §2.2: sub, client_id and jti are REQUIRED.
		{"no sub", minted(tok{key: es, claims: with(good, "sub", nil)}), verify.Options{}, verify.ErrMalformed},
		{"no client_id", minted(tok{key: es, claims: with(good, "client_id", nil)}), verify.Options{}, verify.ErrMalformed},
		{"no jti", minted(tok{key: es, claims: with(good, "jti", nil)}), verify.Options{}, verify.ErrMalformed},
		// RFC 7519 §4: claim names are case-sensitive; AUD is not aud.
		{"AUD for aud", minted(tok{key: es, claims: with(with(good, "aud", "https://other"), "AUD", testAudience)}), verify.Options{}, verify.ErrAudience},
		{"ISS for iss", minted(tok{key: es, claims: with(with(good, "iss", nil), "ISS", ks.issuer)}), verify.Options{}, verify.ErrIssuer},
		{"EXP for exp", minted(tok{key: es, claims: with(with(good, "exp", nil), "EXP", now.Add(time.Hour).Unix())}), verify.Options{}, verify.ErrExpired},

		{"alg none", fixed(noneToken), verify.Options{}, verify.ErrAlgorithm},
		{"HS256 keyed with the public key", hmacWithPublicKey, verify.Options{}, verify.ErrAlgorithm},
		{"alg not allowed", minted(tok{key: ed, claims: good}), verify.Options{Algorithms: []string{"ES256"}}, verify.ErrAlgorithm},
		{"alg not the key's", minted(tok{key: imposter, kid: es.kid, claims: good}), verify.Options{}, verify.ErrAlgorithm},

		{"typ JWT", minted(tok{key: es, typ: "JWT", claims: good}), verify.Options{}, verify.ErrType},
		{"no typ", minted(tok{key: es, typ: "-", claims: good}), verify.Options{}, verify.ErrType},

		{"unknown kid", minted(tok{key: es, kid: "nobody", claims: good}), verify.Options{}, verify.ErrUnknownKey},
		{"no kid", minted(tok{key: es, kid: "-", claims: good}), verify.Options{}, verify.ErrUnknownKey},

		{"flipped signature bit", flipSig, verify.Options{}, verify.ErrSignature},
		{"other key same kid and alg", minted(tok{key: esKey2, kid: es.kid, claims: good}), verify.Options{}, verify.ErrSignature},

		{"wrong iss", minted(tok{key: es, claims: with(good, "iss", ks.issuer+"x")}), verify.Options{}, verify.ErrIssuer},
		{"no iss", minted(tok{key: es, claims: with(good, "iss", nil)}), verify.Options{}, verify.ErrIssuer},
		{"wrong aud", minted(tok{key: es, claims: with(good, "aud", "https://other")}), verify.Options{}, verify.ErrAudience},
		{"no aud", minted(tok{key: es, claims: with(good, "aud", nil)}), verify.Options{}, verify.ErrAudience},
		{"expired", minted(tok{key: es, claims: with(good, "exp", now.Add(-leeway).Unix())}), verify.Options{}, verify.ErrExpired},
		{"exp 60s ago: the default leeway is a minute", minted(tok{key: es, claims: with(good, "exp", now.Add(-60*time.Second).Unix())}), verify.Options{}, verify.ErrExpired},
		{"expired, no leeway", minted(tok{key: es, claims: with(good, "exp", now.Unix())}), verify.Options{Leeway: -1}, verify.ErrExpired},
		{"no exp", minted(tok{key: es, claims: with(good, "exp", nil)}), verify.Options{}, verify.ErrExpired},
		{"nbf future", minted(tok{key: es, claims: with(good, "nbf", now.Add(leeway+time.Second).Unix())}), verify.Options{}, verify.ErrNotYetValid},
		{"iat future", minted(tok{key: es, claims: with(good, "iat", now.Add(leeway+time.Second).Unix())}), verify.Options{}, verify.ErrIssuedAt},
		{"no iat", minted(tok{key: es, claims: with(good, "iat", nil)}), verify.Options{}, verify.ErrIssuedAt},
		{"tenant mismatch", minted(tok{key: es, claims: with(good, "tenant", "other")}), verify.Options{Tenant: testTenant}, verify.ErrTenant},
		{"no tenant", minted(tok{key: es, claims: with(good, "tenant", nil)}), verify.Options{Tenant: testTenant}, verify.ErrTenant},

		// Order: the first failing check decides.
		{"wrong typ before unknown kid", minted(tok{key: es, typ: "JWT", kid: "nobody", claims: good}), verify.Options{}, verify.ErrType},
		{"bad signature before wrong iss", minted(tok{key: esKey2, kid: es.kid, claims: with(good, "iss", "x")}), verify.Options{}, verify.ErrSignature},
		{"wrong aud before expired", minted(tok{key: es, claims: with(with(good, "aud", "x"), "exp", now.Add(-time.Hour).Unix())}), verify.Options{}, verify.ErrAudience},
		{"expired before tenant", minted(tok{key: es, claims: with(with(good, "tenant", "x"), "exp", now.Add(-time.Hour).Unix())}), verify.Options{Tenant: testTenant}, verify.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, ks, clk, tc.opts)
			token := tc.token(t)
			_, err := v.Verify(t.Context(), token)
			checkErr(t, "Verify("+tc.name+")", err, tc.want)
		})
	}
}

func TestVerifyClaims(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	now := clk.Now()
	v := newVerifier(t, ks, clk, verify.Options{})
	c := with(with(claims(ks, now), "nbf", now.Unix()), "aud", []string{testAudience, "https://b"})
	// A token exchanged twice (RFC 8693 §4.1): the current actor, and the
	// one before it nested.
	c = with(c, "act", map[string]any{"sub": "mcp-server", "act": map[string]any{"sub": "gateway"}})
	got, err := v.Verify(t.Context(), tok{key: es, claims: c}.mint(t))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	sec := func(t time.Time) time.Time { return t.Truncate(time.Second).UTC() }
	want := &verify.Claims{
		Issuer: ks.issuer, Subject: "user-1", Audience: []string{testAudience, "https://b"},
		ExpiresAt: sec(now.Add(time.Hour)), IssuedAt: sec(now), NotBefore: sec(now),
		ID: "jti-1", ClientID: "client-1", Scopes: []string{"orders:read", "profile"},
		Roles: []string{"admin"}, Tenant: testTenant, AuthTime: sec(now.Add(-time.Minute)),
		Actor: &verify.Actor{Subject: "mcp-server", Actor: &verify.Actor{Subject: "gateway"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify claims (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		scopes []string
		want   bool
	}{
		{nil, true},
		{[]string{"orders:read"}, true},
		{[]string{"orders:read", "profile"}, true},
		{[]string{"orders:write"}, false},
		{[]string{"orders:read", "orders:write"}, false},
		{[]string{"orders"}, false},
	} {
		if g := got.HasScopes(tc.scopes...); g != tc.want {
			t.Errorf("HasScopes(%q) = %v; want %v", tc.scopes, g, tc.want)
		}
		err := got.RequireScopes(tc.scopes...)
		if tc.want && err != nil || !tc.want && !errors.Is(err, verify.ErrInsufficientScope) {
			t.Errorf("RequireScopes(%q) = %v; want ok=%v", tc.scopes, err, tc.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	const iss = "https://auth.example.com/t/acme"
	ok := verify.Options{Audience: testAudience}
	mod := func(f func(o *verify.Options)) verify.Options { o := ok; f(&o); return o }
	tests := []struct {
		name   string
		issuer string
		opts   verify.Options
		want   string // in the error
	}{
		{"no audience", iss, verify.Options{}, "Audience is required"},
		{"alg none", iss, mod(func(o *verify.Options) { o.Algorithms = []string{"ES256", "none"} }), `"none" is refused`},
		{"HS256", iss, mod(func(o *verify.Options) { o.Algorithms = []string{"HS256"} }), `"HS256" is refused`},
		{"hs512", iss, mod(func(o *verify.Options) { o.Algorithms = []string{"hs512"} }), "is refused"},
		{"unknown alg", iss, mod(func(o *verify.Options) { o.Algorithms = []string{"ES257"} }), "unsupported algorithm"},
		{"huge leeway", iss, mod(func(o *verify.Options) { o.Leeway = time.Hour }), "Leeway"},
		{"cooldown above MinCacheTTL", iss, mod(func(o *verify.Options) { o.RefreshCooldown = 2 * time.Minute }), "RefreshCooldown"},
		{"negative cooldown", iss, mod(func(o *verify.Options) { o.RefreshCooldown = -time.Second }), "RefreshCooldown"},
		{"MinCacheTTL above MaxCacheTTL", iss, mod(func(o *verify.Options) { o.MinCacheTTL, o.MaxCacheTTL = time.Hour, time.Minute }), "MinCacheTTL"},
		{"MaxCacheTTL too long", iss, mod(func(o *verify.Options) { o.MaxCacheTTL = 30 * 24 * time.Hour }), "MaxCacheTTL"},
		{"MaxStale too long", iss, mod(func(o *verify.Options) { o.MaxStale = 2 * time.Hour }), "MaxStale"},
		{"issuer not absolute", "/t/acme", ok, "issuer"},
		{"issuer http", "http://auth.example.com/t/acme", ok, "loopback"},
		{"issuer ftp", "ftp://auth.example.com/t/acme", ok, "https"},
		{"issuer query", iss + "?x=1", ok, "query"},
		{"issuer fragment", iss + "#x", ok, "fragment"},
		{"JWKSURI http", iss, mod(func(o *verify.Options) { o.JWKSURI = "http://auth.example.com/jwks" }), "JWKSURI"},
		{"realm with quote", iss, mod(func(o *verify.Options) { o.Realm = `a"b` }), "realm"},
		{"Keys with HTTPClient", iss, mod(func(o *verify.Options) { o.Keys, o.HTTPClient = verify.StaticKeys{}, &http.Client{} }), "HTTPClient"},
		{"Keys with JWKSURI", iss, mod(func(o *verify.Options) { o.Keys, o.JWKSURI = verify.StaticKeys{}, iss+"/jwks.json" }), "JWKSURI"},
		{"Keys with RefreshCooldown", iss, mod(func(o *verify.Options) { o.Keys, o.RefreshCooldown = verify.StaticKeys{}, time.Second }), "RefreshCooldown"},
		{"Keys with MinCacheTTL", iss, mod(func(o *verify.Options) { o.Keys, o.MinCacheTTL = verify.StaticKeys{}, time.Minute }), "MinCacheTTL"},
		{"Keys with MaxCacheTTL", iss, mod(func(o *verify.Options) { o.Keys, o.MaxCacheTTL = verify.StaticKeys{}, time.Hour }), "MaxCacheTTL"},
		{"Keys with MaxStale", iss, mod(func(o *verify.Options) { o.Keys, o.MaxStale = verify.StaticKeys{}, -1 }), "MaxStale"},
		{"Keys with a bad issuer", "http://auth.example.com/t/acme", mod(func(o *verify.Options) { o.Keys = verify.StaticKeys{} }), "loopback"},
		{"Keys with alg none", iss, mod(func(o *verify.Options) { o.Keys, o.Algorithms = verify.StaticKeys{}, []string{"none"} }), `"none" is refused`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := verify.New(tc.issuer, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "verify: ") {
				t.Fatalf("New(%q) = %v, %v; want an error containing %q", tc.issuer, v, err, tc.want)
			}
		})
	}
	for _, issuer := range []string{iss, "http://127.0.0.1:8787/t/acme", "http://localhost:8787/t/acme", "https://auth.example.com"} {
		if _, err := verify.New(issuer, ok); err != nil {
			t.Errorf("New(%q) = %v; want success", issuer, err)
		}
	}
	if _, err := verify.New(iss, mod(func(o *verify.Options) { o.Keys = verify.StaticKeys{} })); err != nil {
		t.Errorf("New(%q, with Keys) = %v; want success", iss, err)
	}
}
